package org.oscarehr.caisi_integrator.dao;

/** Shell: pushes only need the nested Gender enum (org.oscarehr.caisi_integrator.dao.CachedDemographic$Gender). */
public class CachedDemographic extends AbstractModel<FacilityIdIntegerCompositePk> {
    public enum Gender {
        M, F, T, O, U
    }

    private transient FacilityIdIntegerCompositePk id;

    @Override
    public FacilityIdIntegerCompositePk getId() {
        return id;
    }
}
