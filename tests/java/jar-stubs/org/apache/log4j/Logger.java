package org.apache.log4j;

/** Empty stand-in so the real integrator-objects jar's classes load (tests/jvm.py serial_facts); never called for real work. */
public class Logger {
    public static Logger getLogger(String name) {
        return new Logger();
    }

    public void info(Object message) {
    }

    public void error(Object message) {
    }

    public void error(Object message, Throwable t) {
    }
}
