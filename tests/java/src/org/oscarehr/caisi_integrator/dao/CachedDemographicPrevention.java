package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedDemographicPrevention extends AbstractModel<FacilityIdIntegerCompositePk> {
    private static final long serialVersionUID = -5461784508345120397L;

    private FacilityIdIntegerCompositePk facilityPreventionPk;
    private Integer caisiDemographicId;
    private Date preventionDate;
    private String caisiProviderId;
    private String preventionType;
    private Date nextDate;
    private boolean refused;
    private boolean never;
    private String attributes;

    public CachedDemographicPrevention() {
    }

    @Override
    public FacilityIdIntegerCompositePk getId() {
        return facilityPreventionPk;
    }

    public void setId(FacilityIdIntegerCompositePk id) {
        this.facilityPreventionPk = id;
    }

    public Integer getCaisiDemographicId() {
        return caisiDemographicId;
    }

    public void setCaisiDemographicId(Integer caisiDemographicId) {
        this.caisiDemographicId = caisiDemographicId;
    }

    public Date getPreventionDate() {
        return preventionDate;
    }

    public void setPreventionDate(Date preventionDate) {
        this.preventionDate = preventionDate;
    }

    public String getCaisiProviderId() {
        return caisiProviderId;
    }

    public void setCaisiProviderId(String caisiProviderId) {
        this.caisiProviderId = caisiProviderId;
    }

    public String getPreventionType() {
        return preventionType;
    }

    public void setPreventionType(String preventionType) {
        this.preventionType = preventionType;
    }

    public Date getNextDate() {
        return nextDate;
    }

    public void setNextDate(Date nextDate) {
        this.nextDate = nextDate;
    }

    public boolean isRefused() {
        return refused;
    }

    public void setRefused(boolean refused) {
        this.refused = refused;
    }

    public boolean isNever() {
        return never;
    }

    public void setNever(boolean never) {
        this.never = never;
    }

    public String getAttributes() {
        return attributes;
    }

    public void setAttributes(String attributes) {
        this.attributes = attributes;
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
