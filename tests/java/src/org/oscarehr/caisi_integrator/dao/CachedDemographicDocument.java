package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedDemographicDocument extends AbstractModel<FacilityIdIntegerCompositePk> {
    private static final long serialVersionUID = 743919396538312571L;

    private FacilityIdIntegerCompositePk facilityIntegerPk;
    private int caisiDemographicId;
    private String docType;
    private String docXml;
    private String docFilename;
    private String docCreator;
    private String responsible;
    private String source;
    private Integer programId;
    private Date updateDateTime;
    private String status;
    private String contentType;
    private int public1;
    private Date observationDate;
    private String reviewer;
    private Date reviewDateTime;
    private int numberOfPages;
    private int appointmentNo;
    private String description;

    public CachedDemographicDocument() {
    }

    @Override
    public FacilityIdIntegerCompositePk getId() {
        return facilityIntegerPk;
    }

    public void setId(FacilityIdIntegerCompositePk id) {
        this.facilityIntegerPk = id;
    }

    public int getCaisiDemographicId() {
        return caisiDemographicId;
    }

    public void setCaisiDemographicId(int caisiDemographicId) {
        this.caisiDemographicId = caisiDemographicId;
    }

    public String getDocType() {
        return docType;
    }

    public void setDocType(String docType) {
        this.docType = docType;
    }

    public String getDocXml() {
        return docXml;
    }

    public void setDocXml(String docXml) {
        this.docXml = docXml;
    }

    public String getDocFilename() {
        return docFilename;
    }

    public void setDocFilename(String docFilename) {
        this.docFilename = docFilename;
    }

    public String getDocCreator() {
        return docCreator;
    }

    public void setDocCreator(String docCreator) {
        this.docCreator = docCreator;
    }

    public String getResponsible() {
        return responsible;
    }

    public void setResponsible(String responsible) {
        this.responsible = responsible;
    }

    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public Integer getProgramId() {
        return programId;
    }

    public void setProgramId(Integer programId) {
        this.programId = programId;
    }

    public Date getUpdateDateTime() {
        return updateDateTime;
    }

    public void setUpdateDateTime(Date updateDateTime) {
        this.updateDateTime = updateDateTime;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public String getContentType() {
        return contentType;
    }

    public void setContentType(String contentType) {
        this.contentType = contentType;
    }

    public int getPublic1() {
        return public1;
    }

    public void setPublic1(int public1) {
        this.public1 = public1;
    }

    public Date getObservationDate() {
        return observationDate;
    }

    public void setObservationDate(Date observationDate) {
        this.observationDate = observationDate;
    }

    public String getReviewer() {
        return reviewer;
    }

    public void setReviewer(String reviewer) {
        this.reviewer = reviewer;
    }

    public Date getReviewDateTime() {
        return reviewDateTime;
    }

    public void setReviewDateTime(Date reviewDateTime) {
        this.reviewDateTime = reviewDateTime;
    }

    public int getNumberOfPages() {
        return numberOfPages;
    }

    public void setNumberOfPages(int numberOfPages) {
        this.numberOfPages = numberOfPages;
    }

    public int getAppointmentNo() {
        return appointmentNo;
    }

    public void setAppointmentNo(int appointmentNo) {
        this.appointmentNo = appointmentNo;
    }

    public String getDescription() {
        return description;
    }

    public void setDescription(String description) {
        this.description = description;
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
