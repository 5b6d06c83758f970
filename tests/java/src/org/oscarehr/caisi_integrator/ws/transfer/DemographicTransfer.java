package org.oscarehr.caisi_integrator.ws.transfer;

import java.io.Serializable;
import java.util.Date;

import org.oscarehr.caisi_integrator.dao.CachedDemographic;

public class DemographicTransfer implements Serializable {
    private static final long serialVersionUID = 570194986641348591L;

    private Integer integratorFacilityId;
    private int caisiDemographicId;
    private String caisiProviderId;
    private String firstName;
    private String lastName;
    private Date birthDate;
    private CachedDemographic.Gender gender;
    private String hin;
    private String hinType;
    private String hinVersion;
    private Date hinValidStart;
    private Date hinValidEnd;
    private String sin;
    private String province;
    private String city;
    private String streetAddress;
    private String phone1;
    private String phone2;
    private String lastUpdateUser;
    private Date lastUpdateDate;
    private Date photoUpdateDate;
    private byte[] photo;
    private boolean removeId;

    public Integer getIntegratorFacilityId() {
        return integratorFacilityId;
    }

    public void setIntegratorFacilityId(Integer integratorFacilityId) {
        this.integratorFacilityId = integratorFacilityId;
    }

    public int getCaisiDemographicId() {
        return caisiDemographicId;
    }

    public void setCaisiDemographicId(int caisiDemographicId) {
        this.caisiDemographicId = caisiDemographicId;
    }

    public String getCaisiProviderId() {
        return caisiProviderId;
    }

    public void setCaisiProviderId(String caisiProviderId) {
        this.caisiProviderId = caisiProviderId;
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

    public Date getBirthDate() {
        return birthDate;
    }

    public void setBirthDate(Date birthDate) {
        this.birthDate = birthDate;
    }

    public CachedDemographic.Gender getGender() {
        return gender;
    }

    public void setGender(CachedDemographic.Gender gender) {
        this.gender = gender;
    }

    public String getHin() {
        return hin;
    }

    public void setHin(String hin) {
        this.hin = hin;
    }

    public String getHinType() {
        return hinType;
    }

    public void setHinType(String hinType) {
        this.hinType = hinType;
    }

    public String getHinVersion() {
        return hinVersion;
    }

    public void setHinVersion(String hinVersion) {
        this.hinVersion = hinVersion;
    }

    public Date getHinValidStart() {
        return hinValidStart;
    }

    public void setHinValidStart(Date hinValidStart) {
        this.hinValidStart = hinValidStart;
    }

    public Date getHinValidEnd() {
        return hinValidEnd;
    }

    public void setHinValidEnd(Date hinValidEnd) {
        this.hinValidEnd = hinValidEnd;
    }

    public String getSin() {
        return sin;
    }

    public void setSin(String sin) {
        this.sin = sin;
    }

    public String getProvince() {
        return province;
    }

    public void setProvince(String province) {
        this.province = province;
    }

    public String getCity() {
        return city;
    }

    public void setCity(String city) {
        this.city = city;
    }

    public String getStreetAddress() {
        return streetAddress;
    }

    public void setStreetAddress(String streetAddress) {
        this.streetAddress = streetAddress;
    }

    public String getPhone1() {
        return phone1;
    }

    public void setPhone1(String phone1) {
        this.phone1 = phone1;
    }

    public String getPhone2() {
        return phone2;
    }

    public void setPhone2(String phone2) {
        this.phone2 = phone2;
    }

    public String getLastUpdateUser() {
        return lastUpdateUser;
    }

    public void setLastUpdateUser(String lastUpdateUser) {
        this.lastUpdateUser = lastUpdateUser;
    }

    public Date getLastUpdateDate() {
        return lastUpdateDate;
    }

    public void setLastUpdateDate(Date lastUpdateDate) {
        this.lastUpdateDate = lastUpdateDate;
    }

    public Date getPhotoUpdateDate() {
        return photoUpdateDate;
    }

    public void setPhotoUpdateDate(Date photoUpdateDate) {
        this.photoUpdateDate = photoUpdateDate;
    }

    public byte[] getPhoto() {
        return photo;
    }

    public void setPhoto(byte[] photo) {
        this.photo = photo;
    }

    public boolean isRemoveId() {
        return removeId;
    }

    public void setRemoveId(boolean removeId) {
        this.removeId = removeId;
    }
}
