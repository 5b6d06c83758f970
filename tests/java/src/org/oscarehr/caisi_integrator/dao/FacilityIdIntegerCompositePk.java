package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/** Stand-in for the integrator embeddable: same name, fields and serialVersionUID. */
public class FacilityIdIntegerCompositePk implements Serializable {
    private static final long serialVersionUID = 6684273625189092823L;

    private Integer integratorFacilityId;
    private Integer caisiItemId;

    public FacilityIdIntegerCompositePk() {
    }

    public FacilityIdIntegerCompositePk(Integer integratorFacilityId, Integer caisiItemId) {
        this.integratorFacilityId = integratorFacilityId;
        this.caisiItemId = caisiItemId;
    }

    public Integer getIntegratorFacilityId() {
        return integratorFacilityId;
    }

    public void setIntegratorFacilityId(Integer integratorFacilityId) {
        this.integratorFacilityId = integratorFacilityId;
    }

    public Integer getCaisiItemId() {
        return caisiItemId;
    }

    public void setCaisiItemId(Integer caisiItemId) {
        this.caisiItemId = caisiItemId;
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
