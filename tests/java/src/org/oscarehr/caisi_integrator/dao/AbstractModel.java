package org.oscarehr.caisi_integrator.dao;

import java.io.Serializable;

/** Superclass of every integrator entity; no instance fields, so 0 fields in the stream. */
abstract class AbstractModel<T> implements Serializable {
    private static final long serialVersionUID = 8445588353221667446L;

    protected static final String OBJECT_NOT_YET_PERISTED = "The object is not persisted yet, this operation requires the object to already be persisted.";

    public abstract T getId();
}
