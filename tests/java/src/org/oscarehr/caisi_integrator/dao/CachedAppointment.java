package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedAppointment extends AbstractModel<FacilityIdIntegerCompositePk> {
    private static final long serialVersionUID = 4187303396737281637L;

    private FacilityIdIntegerCompositePk facilityAppointmentPk;
    private Integer caisiDemographicId;
    private String caisiProviderId;
    private Date appointmentDate;
    private Date startTime;
    private Date endTime;
    private String notes;
    private String reason;
    private String location;
    private String resources;
    private String type;
    private String style;
    private String status;
    private Date createDatetime;
    private Date updateDatetime;
    private String remarks;

    public CachedAppointment() {
    }

    @Override
    public FacilityIdIntegerCompositePk getId() {
        return facilityAppointmentPk;
    }

    public void setId(FacilityIdIntegerCompositePk id) {
        this.facilityAppointmentPk = id;
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

    public Date getAppointmentDate() {
        return appointmentDate;
    }

    public void setAppointmentDate(Date appointmentDate) {
        this.appointmentDate = appointmentDate;
    }

    public Date getStartTime() {
        return startTime;
    }

    public void setStartTime(Date startTime) {
        this.startTime = startTime;
    }

    public Date getEndTime() {
        return endTime;
    }

    public void setEndTime(Date endTime) {
        this.endTime = endTime;
    }

    public String getNotes() {
        return notes;
    }

    public void setNotes(String notes) {
        this.notes = notes;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public String getLocation() {
        return location;
    }

    public void setLocation(String location) {
        this.location = location;
    }

    public String getResources() {
        return resources;
    }

    public void setResources(String resources) {
        this.resources = resources;
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public String getStyle() {
        return style;
    }

    public void setStyle(String style) {
        this.style = style;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public Date getCreateDatetime() {
        return createDatetime;
    }

    public void setCreateDatetime(Date createDatetime) {
        this.createDatetime = createDatetime;
    }

    public Date getUpdateDatetime() {
        return updateDatetime;
    }

    public void setUpdateDatetime(Date updateDatetime) {
        this.updateDatetime = updateDatetime;
    }

    public String getRemarks() {
        return remarks;
    }

    public void setRemarks(String remarks) {
        this.remarks = remarks;
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
