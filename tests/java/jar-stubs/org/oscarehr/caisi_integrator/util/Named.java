package org.oscarehr.caisi_integrator.util;

/** Empty stand-in so the real integrator-objects jar's classes load (tests/jvm.py serial_facts); never called for real work. */
public interface Named {
}
