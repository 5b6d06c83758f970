package org.apache.openjpa.enhance;

/** Empty stand-in so the real integrator-objects jar's classes load (tests/jvm.py serial_facts); never called for real work. */
public class RedefinitionHelper {
}
