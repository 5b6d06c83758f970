package org.oscarehr.PMmodule.caisi_integrator;

import java.io.Serializable;
import java.util.List;

/**
 * Test-only older generation (src-legacy, first on the classpath for push_format "legacy"):
 * the wrapper as OSCAR's own sources declared it before integrator-objects 0.0.4, with a
 * package-private field and no declared serialVersionUID, so the JVM computes
 * -3593417259892044381 from exactly these members. Keep them as they are.
 */
public class ProgramDeleteIdWrapper implements Serializable {
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
