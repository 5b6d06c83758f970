package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedAdmission extends AbstractModel<FacilityIdIntegerCompositePk> {
    private static final long serialVersionUID = 475490153351795557L;

    private FacilityIdIntegerCompositePk facilityIdIntegerCompositePk;
    private int caisiDemographicId;
    private int caisiProgramId;
    private Date admissionDate;
    private Date dischargeDate;
    private String admissionNotes;
    private String dischargeNotes;

    public CachedAdmission() {
    }

    @Override
    public FacilityIdIntegerCompositePk getId() {
        return facilityIdIntegerCompositePk;
    }

    public void setId(FacilityIdIntegerCompositePk id) {
        this.facilityIdIntegerCompositePk = id;
    }

    public int getCaisiDemographicId() {
        return caisiDemographicId;
    }

    public void setCaisiDemographicId(int caisiDemographicId) {
        this.caisiDemographicId = caisiDemographicId;
    }

    public int getCaisiProgramId() {
        return caisiProgramId;
    }

    public void setCaisiProgramId(int caisiProgramId) {
        this.caisiProgramId = caisiProgramId;
    }

    public Date getAdmissionDate() {
        return admissionDate;
    }

    public void setAdmissionDate(Date admissionDate) {
        this.admissionDate = admissionDate;
    }

    public Date getDischargeDate() {
        return dischargeDate;
    }

    public void setDischargeDate(Date dischargeDate) {
        this.dischargeDate = dischargeDate;
    }

    public String getAdmissionNotes() {
        return admissionNotes;
    }

    public void setAdmissionNotes(String admissionNotes) {
        this.admissionNotes = admissionNotes;
    }

    public String getDischargeNotes() {
        return dischargeNotes;
    }

    public void setDischargeNotes(String dischargeNotes) {
        this.dischargeNotes = dischargeNotes;
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
