package org.oscarehr.PMmodule.caisi_integrator;

import java.io.Serializable;
import java.util.List;

/** Ids of every program the facility still has; the integrator deletes the rest. */
public class ProgramDeleteIdWrapper implements Serializable {
    private static final long serialVersionUID = -3593417259892044381L;

    List<Integer> ids = null;

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
