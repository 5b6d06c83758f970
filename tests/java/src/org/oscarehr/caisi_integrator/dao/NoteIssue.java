package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import org.oscarehr.caisi_integrator.util.CodeType;

/** Stand-in for the integrator embeddable: same name, fields and serialVersionUID. */
public class NoteIssue implements Serializable {
    private static final long serialVersionUID = 1L;

    private CodeType codeType;
    private String issueCode;

    public NoteIssue() {
    }

    public NoteIssue(CodeType codeType, String issueCode) {
        this.codeType = codeType;
        this.issueCode = issueCode;
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

    /** Same hash as the integrator's NoteIssue, so HashSet order is deterministic. */
    @Override
    public int hashCode() {
        return issueCode == null ? 0 : issueCode.hashCode();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NoteIssue)) {
            return false;
        }
        NoteIssue other = (NoteIssue) o;
        return codeType == other.codeType
                && (issueCode == null ? other.issueCode == null : issueCode.equals(other.issueCode));
    }

    @Override
    public String toString() {
        return codeType + "." + issueCode;
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
