package org.oscarehr.PMmodule.caisi_integrator;

import java.io.Serializable;
import java.util.List;

/**
 * Ids of every program the facility still has; the integrator deletes the rest.
 *
 * <p>As integrator-objects 0.0.4 (OSCAR 19) declares it: a private field and no declared
 * serialVersionUID, so the JVM computes 6970186321583038863 from exactly these members.
 * Keep them as they are (tests/java/src-legacy has the older, package-private one).
 */
public class ProgramDeleteIdWrapper implements Serializable {
    private List<Integer> ids = null;

    public ProgramDeleteIdWrapper() {
    }

    public ProgramDeleteIdWrapper(List<Integer> ids) {
        this.ids = ids;
    }

    public List<Integer> getIds() {
        return ids;
    }

    public void setIds(List<Integer> ids) {
        this.ids = ids;
    }
}
