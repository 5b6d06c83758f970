package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import org.oscarehr.caisi_integrator.util.CodeType;

/** Stand-in for the integrator embeddable: same name, fields and serialVersionUID. */
public class FacilityIdDemographicIssueCompositePk implements Serializable {
    private static final long serialVersionUID = -6292964234525710903L;

    private Integer integratorFacilityId;
    private Integer caisiDemographicId;
    private CodeType codeType;
    private String issueCode;

    public FacilityIdDemographicIssueCompositePk() {
    }

    public FacilityIdDemographicIssueCompositePk(Integer integratorFacilityId, Integer caisiDemographicId, CodeType codeType, String issueCode) {
        this.integratorFacilityId = integratorFacilityId;
        this.caisiDemographicId = caisiDemographicId;
        this.codeType = codeType;
        this.issueCode = issueCode;
    }

    public Integer getIntegratorFacilityId() {
        return integratorFacilityId;
    }

    public void setIntegratorFacilityId(Integer integratorFacilityId) {
        this.integratorFacilityId = integratorFacilityId;
    }

    public Integer getCaisiDemographicId() {
        return caisiDemographicId;
    }

    public void setCaisiDemographicId(Integer caisiDemographicId) {
        this.caisiDemographicId = caisiDemographicId;
    }

    public CodeType getCodeType() {
        return codeType;
    }

    public void setCodeType(CodeType codeType) {
        this.codeType = codeType;
    }

    public String getIssueCode() {
        return issueCode;
    }

    public void setIssueCode(String issueCode) {
        this.issueCode = issueCode;
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
