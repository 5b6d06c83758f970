package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/** Stand-in for the integrator embeddable: same name, fields and serialVersionUID. */
public class CachedDemographicNoteCompositePk implements Serializable {
    private static final long serialVersionUID = 1L;

    private Integer integratorFacilityId;
    private String uuid;

    public CachedDemographicNoteCompositePk() {
    }

    public CachedDemographicNoteCompositePk(Integer integratorFacilityId, String uuid) {
        this.integratorFacilityId = integratorFacilityId;
        this.uuid = uuid;
    }

    public Integer getIntegratorFacilityId() {
        return integratorFacilityId;
    }

    public void setIntegratorFacilityId(Integer integratorFacilityId) {
        this.integratorFacilityId = integratorFacilityId;
    }

    public String getUuid() {
        return uuid;
    }

    public void setUuid(String uuid) {
        this.uuid = uuid;
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
