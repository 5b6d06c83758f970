package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedMeasurement extends AbstractModel<FacilityIdIntegerCompositePk> {
    private static final long serialVersionUID = 8171701675811807108L;

    private FacilityIdIntegerCompositePk facilityMeasurementPk;
    private String type;
    private Integer caisiDemographicId;
    private String caisiProviderId;
    private String dataField;
    private String measuringInstruction;
    private String comments;
    private Date dateObserved;
    private Date dateEntered;

    public CachedMeasurement() {
    }

    @Override
    public FacilityIdIntegerCompositePk getId() {
        return facilityMeasurementPk;
    }

    public void setId(FacilityIdIntegerCompositePk id) {
        this.facilityMeasurementPk = id;
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public Integer getCaisiDemographicId() {
        return caisiDemographicId;
    }

    public void setCaisiDemographicId(Integer caisiDemographicId) {
        this.caisiDemographicId = caisiDemographicId;
    }

    public String getCaisiProviderId() {
        return caisiProviderId;
    }

    public void setCaisiProviderId(String caisiProviderId) {
        this.caisiProviderId = caisiProviderId;
    }

    public String getDataField() {
        return dataField;
    }

    public void setDataField(String dataField) {
        this.dataField = dataField;
    }

    public String getMeasuringInstruction() {
        return measuringInstruction;
    }

    public void setMeasuringInstruction(String measuringInstruction) {
        this.measuringInstruction = measuringInstruction;
    }

    public String getComments() {
        return comments;
    }

    public void setComments(String comments) {
        this.comments = comments;
    }

    public Date getDateObserved() {
        return dateObserved;
    }

    public void setDateObserved(Date dateObserved) {
        this.dateObserved = dateObserved;
    }

    public Date getDateEntered() {
        return dateEntered;
    }

    public void setDateEntered(Date dateEntered) {
        this.dateEntered = dateEntered;
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
