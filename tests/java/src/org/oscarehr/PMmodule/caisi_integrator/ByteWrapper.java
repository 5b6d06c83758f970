package org.oscarehr.PMmodule.caisi_integrator;

import java.io.Serializable;

/** Raw bytes following a CachedDemographicDocument (the importer supports it; EMR-B never writes it). */
public class ByteWrapper implements Serializable {
    private static final long serialVersionUID = -4138302449426830186L;

    private byte[] data;

    public ByteWrapper() {
    }

    public ByteWrapper(byte[] data) {
        this.data = data;
    }

    public byte[] getData() {
        return data;
    }

    public void setData(byte[] data) {
        this.data = data;
    }
}
