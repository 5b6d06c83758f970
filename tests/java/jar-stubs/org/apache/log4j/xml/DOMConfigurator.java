package org.apache.log4j.xml;

/** Empty stand-in so the real integrator-objects jar's classes load (tests/jvm.py serial_facts); never called for real work. */
public class DOMConfigurator {
    public static void configureAndWatch(String path) {
    }
}
