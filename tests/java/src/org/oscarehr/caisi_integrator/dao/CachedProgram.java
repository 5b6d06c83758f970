package org.oscarehr.caisi_integrator.dao;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

/** Stand-in for the integrator entity: same name, fields and serialVersionUID. */
public class CachedProgram extends AbstractModel<FacilityIdIntegerCompositePk> {
    private static final long serialVersionUID = 892878660194000526L;

    private FacilityIdIntegerCompositePk facilityIdIntegerCompositePk;
    private String name;
    private String description;
    private String type;
    private String status;
    private CachedDemographic.Gender gender;
    private boolean firstNation;
    private int minAge = 0;
    private int maxAge = 200;
    private boolean bedProgramAffiliated;
    private boolean alcohol;
    private String abstinenceSupport;
    private boolean physicalHealth;
    private boolean mentalHealth;
    private boolean housing;
    private String address;
    private String phone;
    private String fax;
    private String url;
    private String email;
    private String emergencyNumber;

    public CachedProgram() {
    }

    @Override
    public FacilityIdIntegerCompositePk getId() {
        return facilityIdIntegerCompositePk;
    }

    public void setId(FacilityIdIntegerCompositePk id) {
        this.facilityIdIntegerCompositePk = id;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getDescription() {
        return description;
    }

    public void setDescription(String description) {
        this.description = description;
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public CachedDemographic.Gender getGender() {
        return gender;
    }

    public void setGender(CachedDemographic.Gender gender) {
        this.gender = gender;
    }

    public boolean isFirstNation() {
        return firstNation;
    }

    public void setFirstNation(boolean firstNation) {
        this.firstNation = firstNation;
    }

    public int getMinAge() {
        return minAge;
    }

    public void setMinAge(int minAge) {
        this.minAge = minAge;
    }

    public int getMaxAge() {
        return maxAge;
    }

    public void setMaxAge(int maxAge) {
        this.maxAge = maxAge;
    }

    public boolean isBedProgramAffiliated() {
        return bedProgramAffiliated;
    }

    public void setBedProgramAffiliated(boolean bedProgramAffiliated) {
        this.bedProgramAffiliated = bedProgramAffiliated;
    }

    public boolean isAlcohol() {
        return alcohol;
    }

    public void setAlcohol(boolean alcohol) {
        this.alcohol = alcohol;
    }

    public String getAbstinenceSupport() {
        return abstinenceSupport;
    }

    public void setAbstinenceSupport(String abstinenceSupport) {
        this.abstinenceSupport = abstinenceSupport;
    }

    public boolean isPhysicalHealth() {
        return physicalHealth;
    }

    public void setPhysicalHealth(boolean physicalHealth) {
        this.physicalHealth = physicalHealth;
    }

    public boolean isMentalHealth() {
        return mentalHealth;
    }

    public void setMentalHealth(boolean mentalHealth) {
        this.mentalHealth = mentalHealth;
    }

    public boolean isHousing() {
        return housing;
    }

    public void setHousing(boolean housing) {
        this.housing = housing;
    }

    public String getAddress() {
        return address;
    }

    public void setAddress(String address) {
        this.address = address;
    }

    public String getPhone() {
        return phone;
    }

    public void setPhone(String phone) {
        this.phone = phone;
    }

    public String getFax() {
        return fax;
    }

    public void setFax(String fax) {
        this.fax = fax;
    }

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public String getEmail() {
        return email;
    }

    public void setEmail(String email) {
        this.email = email;
    }

    public String getEmergencyNumber() {
        return emergencyNumber;
    }

    public void setEmergencyNumber(String emergencyNumber) {
        this.emergencyNumber = emergencyNumber;
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
