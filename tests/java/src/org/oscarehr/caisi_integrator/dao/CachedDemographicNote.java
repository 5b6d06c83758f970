package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Date;
import java.util.HashSet;
import java.util.Set;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedDemographicNote extends AbstractModel<CachedDemographicNoteCompositePk> {
    private static final long serialVersionUID = 3202392287993714226L;

    private CachedDemographicNoteCompositePk cachedDemographicNoteCompositePk;
    private Date updateDate;
    private Date observationDate;
    private int caisiDemographicId;
    private String observationCaisiProviderId;
    private String signingCaisiProviderId;
    private String encounterType;
    private int caisiProgramId;
    private String note;
    private String role;
    private Set<String> noteIssues = new HashSet<String>();
    private Set<NoteIssue> issues = new HashSet<NoteIssue>();

    public CachedDemographicNote() {
    }

    @Override
    public CachedDemographicNoteCompositePk getId() {
        return cachedDemographicNoteCompositePk;
    }

    public void setId(CachedDemographicNoteCompositePk id) {
        this.cachedDemographicNoteCompositePk = id;
    }

    public Date getUpdateDate() {
        return updateDate;
    }

    public void setUpdateDate(Date updateDate) {
        this.updateDate = updateDate;
    }

    public Date getObservationDate() {
        return observationDate;
    }

    public void setObservationDate(Date observationDate) {
        this.observationDate = observationDate;
    }

    public int getCaisiDemographicId() {
        return caisiDemographicId;
    }

    public void setCaisiDemographicId(int caisiDemographicId) {
        this.caisiDemographicId = caisiDemographicId;
    }

    public String getObservationCaisiProviderId() {
        return observationCaisiProviderId;
    }

    public void setObservationCaisiProviderId(String observationCaisiProviderId) {
        this.observationCaisiProviderId = observationCaisiProviderId;
    }

    public String getSigningCaisiProviderId() {
        return signingCaisiProviderId;
    }

    public void setSigningCaisiProviderId(String signingCaisiProviderId) {
        this.signingCaisiProviderId = signingCaisiProviderId;
    }

    public String getEncounterType() {
        return encounterType;
    }

    public void setEncounterType(String encounterType) {
        this.encounterType = encounterType;
    }

    public int getCaisiProgramId() {
        return caisiProgramId;
    }

    public void setCaisiProgramId(int caisiProgramId) {
        this.caisiProgramId = caisiProgramId;
    }

    public String getNote() {
        return note;
    }

    public void setNote(String note) {
        this.note = note;
    }

    public String getRole() {
        return role;
    }

    public void setRole(String role) {
        this.role = role;
    }

    public Set<String> getNoteIssues() {
        return noteIssues;
    }

    public void setNoteIssues(Set<String> noteIssues) {
        this.noteIssues = noteIssues;
    }

    public Set<NoteIssue> getIssues() {
        return issues;
    }

    public void setIssues(Set<NoteIssue> issues) {
        this.issues = issues;
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
