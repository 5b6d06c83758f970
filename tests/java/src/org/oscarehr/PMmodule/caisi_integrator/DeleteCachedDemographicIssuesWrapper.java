package org.oscarehr.PMmodule.caisi_integrator;

import java.io.Serializable;
import java.util.List;

import org.oscarehr.caisi_integrator.dao.FacilityIdDemographicIssueCompositePk;

/** Keys of the issues a demographic still has; the integrator deletes the rest. */
public class DeleteCachedDemographicIssuesWrapper implements Serializable {
    private static final long serialVersionUID = -2035994734443032247L;

    private Integer demographicNo;
    private List<FacilityIdDemographicIssueCompositePk> keys;

    public DeleteCachedDemographicIssuesWrapper() {
    }

    public DeleteCachedDemographicIssuesWrapper(Integer demographicNo, List<FacilityIdDemographicIssueCompositePk> keys) {
        this.demographicNo = demographicNo;
        this.keys = keys;
    }

    public Integer getDemographicNo() {
        return demographicNo;
    }

    public void setDemographicNo(Integer demographicNo) {
        this.demographicNo = demographicNo;
    }

    public List<FacilityIdDemographicIssueCompositePk> getKeys() {
        return keys;
    }

    public void setKeys(List<FacilityIdDemographicIssueCompositePk> keys) {
        this.keys = keys;
    }
}
