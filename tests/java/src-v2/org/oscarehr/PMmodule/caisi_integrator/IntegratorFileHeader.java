package org.oscarehr.PMmodule.caisi_integrator;

import java.io.Serializable;
import java.util.Date;

/** Test-only "future" header (src-v2): an extra version field and serialVersionUID 2L; put first on the classpath. */
public class IntegratorFileHeader implements Serializable {
    private static final long serialVersionUID = 2L;

    public static final int VERSION = 2;

    private Date lastDate;
    private Date date;
    private String dependsOn;
    private Integer cachedFacilityId;
    private String cachedFacilityName;
    private String username;
    private int version = 2;

    public IntegratorFileHeader() {
    }

    public int getVersion() {
        return version;
    }

    public Date getLastDate() {
        return lastDate;
    }

    public void setLastDate(Date lastDate) {
        this.lastDate = lastDate;
    }

    public Date getDate() {
        return date;
    }

    public void setDate(Date date) {
        this.date = date;
    }

    public String getDependsOn() {
        return dependsOn;
    }

    public void setDependsOn(String dependsOn) {
        this.dependsOn = dependsOn;
    }

    public Integer getCachedFacilityId() {
        return cachedFacilityId;
    }

    public void setCachedFacilityId(Integer cachedFacilityId) {
        this.cachedFacilityId = cachedFacilityId;
    }

    public String getCachedFacilityName() {
        return cachedFacilityName;
    }

    public void setCachedFacilityName(String cachedFacilityName) {
        this.cachedFacilityName = cachedFacilityName;
    }

    public String getUsername() {
        return username;
    }

    public void setUsername(String username) {
        this.username = username;
    }
}
