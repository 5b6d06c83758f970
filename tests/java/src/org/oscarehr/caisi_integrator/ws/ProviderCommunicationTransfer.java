package org.oscarehr.caisi_integrator.ws;

import java.io.Serializable;
import java.util.Date;

/**
 * Stand-in for the provider message Open-O writes right after the header. The original
 * integrator has no branch for it, so to carebridge it is an unknown class: kept, counted.
 */
public class ProviderCommunicationTransfer implements Serializable {
    private static final long serialVersionUID = 1L;

    protected Integer id;
    protected Integer sourceIntegratorFacilityId;
    protected String sourceProviderId;
    protected Integer destinationIntegratorFacilityId;
    protected String destinationProviderId;
    protected Date sentDate;
    protected String type;
    protected byte[] data;
    protected boolean active = true;

    public ProviderCommunicationTransfer() {}

    public ProviderCommunicationTransfer(int id, String from, String to, Date sent, byte[] data) {
        this.id = id;
        this.sourceProviderId = from;
        this.destinationProviderId = to;
        this.sentDate = sent;
        this.type = "MESSAGE";
        this.data = data;
    }
}
