package org.oscarehr.caisi_integrator.util;

public enum CodeType {
    ICD9, ICD10, CUSTOM_ISSUE, DRUG, PREVENTION, SYSTEM, SNOMED, SNOMED_CORE
}
