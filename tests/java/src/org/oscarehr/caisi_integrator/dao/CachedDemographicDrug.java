package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedDemographicDrug extends AbstractModel<FacilityIdIntegerCompositePk> {
    private static final long serialVersionUID = -1659277755766988859L;

    private FacilityIdIntegerCompositePk facilityIdIntegerCompositePk;
    private String caisiProviderId;
    private Integer caisiDemographicId;
    private Date rxDate;
    private Date endDate;
    private String brandName;
    private String customName;
    private float takeMin;
    private float takeMax;
    private String freqCode;
    private String duration;
    private String durUnit;
    private String quantity;
    private int repeats;
    private Date lastRefillDate;
    private boolean noSubs;
    private boolean prn;
    private String special;
    private boolean archived;
    private String archivedReason;
    private Date archivedDate;
    private String genericName;
    private String atc;
    private int scriptNo;
    private String regionalIdentifier;
    private String unit;
    private String method;
    private String route;
    private String drugForm;
    private Date createDate;
    private String dosage;
    private boolean customInstructions;
    private String unitName;
    private Boolean longTerm;
    private Boolean pastMed;
    private Boolean patientCompliance;

    public CachedDemographicDrug() {
    }

    @Override
    public FacilityIdIntegerCompositePk getId() {
        return facilityIdIntegerCompositePk;
    }

    public void setId(FacilityIdIntegerCompositePk id) {
        this.facilityIdIntegerCompositePk = id;
    }

    public String getCaisiProviderId() {
        return caisiProviderId;
    }

    public void setCaisiProviderId(String caisiProviderId) {
        this.caisiProviderId = caisiProviderId;
    }

    public Integer getCaisiDemographicId() {
        return caisiDemographicId;
    }

    public void setCaisiDemographicId(Integer caisiDemographicId) {
        this.caisiDemographicId = caisiDemographicId;
    }

    public Date getRxDate() {
        return rxDate;
    }

    public void setRxDate(Date rxDate) {
        this.rxDate = rxDate;
    }

    public Date getEndDate() {
        return endDate;
    }

    public void setEndDate(Date endDate) {
        this.endDate = endDate;
    }

    public String getBrandName() {
        return brandName;
    }

    public void setBrandName(String brandName) {
        this.brandName = brandName;
    }

    public String getCustomName() {
        return customName;
    }

    public void setCustomName(String customName) {
        this.customName = customName;
    }

    public float getTakeMin() {
        return takeMin;
    }

    public void setTakeMin(float takeMin) {
        this.takeMin = takeMin;
    }

    public float getTakeMax() {
        return takeMax;
    }

    public void setTakeMax(float takeMax) {
        this.takeMax = takeMax;
    }

    public String getFreqCode() {
        return freqCode;
    }

    public void setFreqCode(String freqCode) {
        this.freqCode = freqCode;
    }

    public String getDuration() {
        return duration;
    }

    public void setDuration(String duration) {
        this.duration = duration;
    }

    public String getDurUnit() {
        return durUnit;
    }

    public void setDurUnit(String durUnit) {
        this.durUnit = durUnit;
    }

    public String getQuantity() {
        return quantity;
    }

    public void setQuantity(String quantity) {
        this.quantity = quantity;
    }

    public int getRepeats() {
        return repeats;
    }

    public void setRepeats(int repeats) {
        this.repeats = repeats;
    }

    public Date getLastRefillDate() {
        return lastRefillDate;
    }

    public void setLastRefillDate(Date lastRefillDate) {
        this.lastRefillDate = lastRefillDate;
    }

    public boolean isNoSubs() {
        return noSubs;
    }

    public void setNoSubs(boolean noSubs) {
        this.noSubs = noSubs;
    }

    public boolean isPrn() {
        return prn;
    }

    public void setPrn(boolean prn) {
        this.prn = prn;
    }

    public String getSpecial() {
        return special;
    }

    public void setSpecial(String special) {
        this.special = special;
    }

    public boolean isArchived() {
        return archived;
    }

    public void setArchived(boolean archived) {
        this.archived = archived;
    }

    public String getArchivedReason() {
        return archivedReason;
    }

    public void setArchivedReason(String archivedReason) {
        this.archivedReason = archivedReason;
    }

    public Date getArchivedDate() {
        return archivedDate;
    }

    public void setArchivedDate(Date archivedDate) {
        this.archivedDate = archivedDate;
    }

    public String getGenericName() {
        return genericName;
    }

    public void setGenericName(String genericName) {
        this.genericName = genericName;
    }

    public String getAtc() {
        return atc;
    }

    public void setAtc(String atc) {
        this.atc = atc;
    }

    public int getScriptNo() {
        return scriptNo;
    }

    public void setScriptNo(int scriptNo) {
        this.scriptNo = scriptNo;
    }

    public String getRegionalIdentifier() {
        return regionalIdentifier;
    }

    public void setRegionalIdentifier(String regionalIdentifier) {
        this.regionalIdentifier = regionalIdentifier;
    }

    public String getUnit() {
        return unit;
    }

    public void setUnit(String unit) {
        this.unit = unit;
    }

    public String getMethod() {
        return method;
    }

    public void setMethod(String method) {
        this.method = method;
    }

    public String getRoute() {
        return route;
    }

    public void setRoute(String route) {
        this.route = route;
    }

    public String getDrugForm() {
        return drugForm;
    }

    public void setDrugForm(String drugForm) {
        this.drugForm = drugForm;
    }

    public Date getCreateDate() {
        return createDate;
    }

    public void setCreateDate(Date createDate) {
        this.createDate = createDate;
    }

    public String getDosage() {
        return dosage;
    }

    public void setDosage(String dosage) {
        this.dosage = dosage;
    }

    public boolean isCustomInstructions() {
        return customInstructions;
    }

    public void setCustomInstructions(boolean customInstructions) {
        this.customInstructions = customInstructions;
    }

    public String getUnitName() {
        return unitName;
    }

    public void setUnitName(String unitName) {
        this.unitName = unitName;
    }

    public Boolean getLongTerm() {
        return longTerm;
    }

    public void setLongTerm(Boolean longTerm) {
        this.longTerm = longTerm;
    }

    public Boolean getPastMed() {
        return pastMed;
    }

    public void setPastMed(Boolean pastMed) {
        this.pastMed = pastMed;
    }

    public Boolean getPatientCompliance() {
        return patientCompliance;
    }

    public void setPatientCompliance(Boolean patientCompliance) {
        this.patientCompliance = patientCompliance;
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
