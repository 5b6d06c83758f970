package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedDemographicAllergy extends AbstractModel<FacilityIdIntegerCompositePk> {
    private static final long serialVersionUID = 6631114811357540778L;

    private FacilityIdIntegerCompositePk facilityIdIntegerCompositePk;
    private int caisiDemographicId;
    private Date entryDate;
    private int pickId;
    private String description;
    private int hiclSeqNo;
    private int hicSeqNo;
    private int agcsp;
    private int agccs;
    private int typeCode;
    private String reaction;
    private Date startDate;
    private String ageOfOnset;
    private String severityCode;
    private String onSetCode;
    private String regionalIdentifier;
    private String lifeStage;

    public CachedDemographicAllergy() {
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

    public Date getEntryDate() {
        return entryDate;
    }

    public void setEntryDate(Date entryDate) {
        this.entryDate = entryDate;
    }

    public int getPickId() {
        return pickId;
    }

    public void setPickId(int pickId) {
        this.pickId = pickId;
    }

    public String getDescription() {
        return description;
    }

    public void setDescription(String description) {
        this.description = description;
    }

    public int getHiclSeqNo() {
        return hiclSeqNo;
    }

    public void setHiclSeqNo(int hiclSeqNo) {
        this.hiclSeqNo = hiclSeqNo;
    }

    public int getHicSeqNo() {
        return hicSeqNo;
    }

    public void setHicSeqNo(int hicSeqNo) {
        this.hicSeqNo = hicSeqNo;
    }

    public int getAgcsp() {
        return agcsp;
    }

    public void setAgcsp(int agcsp) {
        this.agcsp = agcsp;
    }

    public int getAgccs() {
        return agccs;
    }

    public void setAgccs(int agccs) {
        this.agccs = agccs;
    }

    public int getTypeCode() {
        return typeCode;
    }

    public void setTypeCode(int typeCode) {
        this.typeCode = typeCode;
    }

    public String getReaction() {
        return reaction;
    }

    public void setReaction(String reaction) {
        this.reaction = reaction;
    }

    public Date getStartDate() {
        return startDate;
    }

    public void setStartDate(Date startDate) {
        this.startDate = startDate;
    }

    public String getAgeOfOnset() {
        return ageOfOnset;
    }

    public void setAgeOfOnset(String ageOfOnset) {
        this.ageOfOnset = ageOfOnset;
    }

    public String getSeverityCode() {
        return severityCode;
    }

    public void setSeverityCode(String severityCode) {
        this.severityCode = severityCode;
    }

    public String getOnSetCode() {
        return onSetCode;
    }

    public void setOnSetCode(String onSetCode) {
        this.onSetCode = onSetCode;
    }

    public String getRegionalIdentifier() {
        return regionalIdentifier;
    }

    public void setRegionalIdentifier(String regionalIdentifier) {
        this.regionalIdentifier = regionalIdentifier;
    }

    public String getLifeStage() {
        return lifeStage;
    }

    public void setLifeStage(String lifeStage) {
        this.lifeStage = lifeStage;
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
