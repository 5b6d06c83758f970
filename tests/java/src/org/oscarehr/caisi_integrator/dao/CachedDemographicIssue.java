package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.oscarehr.caisi_integrator.util.Role;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedDemographicIssue extends AbstractModel<FacilityIdDemographicIssueCompositePk> {
    private static final long serialVersionUID = 2003466602538355709L;

    private FacilityIdDemographicIssueCompositePk facilityDemographicIssuePk;
    private String issueDescription;
    private Role issueRole;
    private Boolean acute;
    private Boolean certain;
    private Boolean major;
    private Boolean resolved;

    public CachedDemographicIssue() {
    }

    @Override
    public FacilityIdDemographicIssueCompositePk getId() {
        return facilityDemographicIssuePk;
    }

    public void setId(FacilityIdDemographicIssueCompositePk id) {
        this.facilityDemographicIssuePk = id;
    }

    public String getIssueDescription() {
        return issueDescription;
    }

    public void setIssueDescription(String issueDescription) {
        this.issueDescription = issueDescription;
    }

    public Role getIssueRole() {
        return issueRole;
    }

    public void setIssueRole(Role issueRole) {
        this.issueRole = issueRole;
    }

    public Boolean getAcute() {
        return acute;
    }

    public void setAcute(Boolean acute) {
        this.acute = acute;
    }

    public Boolean getCertain() {
        return certain;
    }

    public void setCertain(Boolean certain) {
        this.certain = certain;
    }

    public Boolean getMajor() {
        return major;
    }

    public void setMajor(Boolean major) {
        this.major = major;
    }

    public Boolean getResolved() {
        return resolved;
    }

    public void setResolved(Boolean resolved) {
        this.resolved = resolved;
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
