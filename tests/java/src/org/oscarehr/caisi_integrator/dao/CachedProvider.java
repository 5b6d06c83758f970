package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedProvider extends AbstractModel<FacilityIdStringCompositePk> {
    private static final long serialVersionUID = -3178592570531907948L;

    private FacilityIdStringCompositePk facilityIdStringCompositePk;
    private String firstName;
    private String lastName;
    private String specialty;
    private String workPhone;

    public CachedProvider() {
    }

    @Override
    public FacilityIdStringCompositePk getId() {
        return facilityIdStringCompositePk;
    }

    public void setId(FacilityIdStringCompositePk id) {
        this.facilityIdStringCompositePk = id;
    }

    public String getFirstName() {
        return firstName;
    }

    public void setFirstName(String firstName) {
        this.firstName = firstName;
    }

    public String getLastName() {
        return lastName;
    }

    public void setLastName(String lastName) {
        this.lastName = lastName;
    }

    public String getSpecialty() {
        return specialty;
    }

    public void setSpecialty(String specialty) {
        this.specialty = specialty;
    }

    public String getWorkPhone() {
        return workPhone;
    }

    public void setWorkPhone(String workPhone) {
        this.workPhone = workPhone;
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
