package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedFacility extends AbstractModel<Integer> {
    private static final long serialVersionUID = -2517194288896303617L;

    private Integer integratorFacilityId;
    private String name;
    private String description;
    private String contactName;
    private String contactEmail;
    private String contactPhone;
    private boolean hic = false;
    private boolean enableIntegratedReferrals = true;
    private boolean allowSims = true;
    private Date lastDataUpdate;

    public CachedFacility() {
    }

    @Override
    public Integer getId() {
        return integratorFacilityId;
    }

    public void setId(Integer id) {
        this.integratorFacilityId = id;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getDescription() {
        return description;
    }

    public void setDescription(String description) {
        this.description = description;
    }

    public String getContactName() {
        return contactName;
    }

    public void setContactName(String contactName) {
        this.contactName = contactName;
    }

    public String getContactEmail() {
        return contactEmail;
    }

    public void setContactEmail(String contactEmail) {
        this.contactEmail = contactEmail;
    }

    public String getContactPhone() {
        return contactPhone;
    }

    public void setContactPhone(String contactPhone) {
        this.contactPhone = contactPhone;
    }

    public boolean isHic() {
        return hic;
    }

    public void setHic(boolean hic) {
        this.hic = hic;
    }

    public boolean isEnableIntegratedReferrals() {
        return enableIntegratedReferrals;
    }

    public void setEnableIntegratedReferrals(boolean enableIntegratedReferrals) {
        this.enableIntegratedReferrals = enableIntegratedReferrals;
    }

    public boolean isAllowSims() {
        return allowSims;
    }

    public void setAllowSims(boolean allowSims) {
        this.allowSims = allowSims;
    }

    public Date getLastDataUpdate() {
        return lastDataUpdate;
    }

    public void setLastDataUpdate(Date lastDataUpdate) {
        this.lastDataUpdate = lastDataUpdate;
    }

    // OpenJPA's build-time enhancer adds these two hooks; they make the stream class
    // descriptor carry SC_WRITE_METHOD and end each instance with TC_ENDBLOCKDATA.
    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
    }
}
