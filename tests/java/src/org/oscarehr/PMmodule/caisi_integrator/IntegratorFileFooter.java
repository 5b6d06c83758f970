package org.oscarehr.PMmodule.caisi_integrator;

import java.io.Serializable;

/** Last object of a push; the EMR always writes checksum -1. */
public class IntegratorFileFooter implements Serializable {
    private static final long serialVersionUID = -245791077494879854L;

    private int checksum = -1;

    public IntegratorFileFooter() {
    }

    public IntegratorFileFooter(int checksum) {
        this.checksum = checksum;
    }

    public int getChecksum() {
        return checksum;
    }
}
