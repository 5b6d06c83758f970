package carebridge.jaxwsclient;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;

import javax.xml.datatype.DatatypeFactory;
import javax.xml.datatype.XMLGregorianCalendar;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.soap.SOAPFaultException;

import org.oscarehr.caisi_integrator.ws.CachedFacility;
import org.oscarehr.caisi_integrator.ws.FacilityWs;
import org.oscarehr.caisi_integrator.ws.FacilityWsService;
import org.oscarehr.caisi_integrator.ws.ImportLog;

/**
 * A FacilityWs client built the way OSCAR's CaisiIntegratorManager builds one: stubs generated
 * by wsimport from the WSDL, the service constructed from the LIVE server's {@code ?wsdl}, the
 * port's address taken from that WSDL, a PasswordText UsernameToken (mustUnderstand=1) and the
 * optional requestingCaisiProviderNo header added to every request.
 *
 * <pre>
 * StatusCheck [--provider NNN] [--trace] ENDPOINT USERNAME PASSWORD COMMAND [ARGS...]
 *   by-file FILENAME CHECKSUM
 *   since ISO|-
 *   can-process FILENAME CHECKSUM START|- END|- DEPENDS_ON|-
 *   my-facility
 * </pre>
 *
 * Prints one line of JSON on stdout. Exit status: 0 ok, 2 usage, 3 SOAP fault
 * ({"fault": faultstring, "faultCode": ...}), 4 any other failure ({"error": ...}).
 * {@code --trace} writes the request and reply envelopes to stderr.
 */
public final class StatusCheck {

    private StatusCheck() {
    }

    public static void main(String[] argv) {
        String provider = null;
        boolean trace = false;
        List<String> args = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            if ("--provider".equals(argv[i]) && i + 1 < argv.length) {
                provider = argv[++i];
            } else if ("--trace".equals(argv[i])) {
                trace = true;
            } else {
                args.add(argv[i]);
            }
        }
        if (args.size() < 4) {
            usage("missing arguments");
        }
        try {
            FacilityWs port = connect(args.get(0), args.get(1), args.get(2), provider, trace);
            System.out.println(run(port, args.get(3), args.subList(4, args.size())));
            System.exit(0);
        } catch (SOAPFaultException e) {
            StringBuilder out = new StringBuilder("{");
            Json.field(out, "fault", e.getFault().getFaultString());
            out.append(',');
            Json.field(out, "faultCode", e.getFault().getFaultCodeAsQName().toString());
            System.out.println(out.append('}'));
            System.exit(3);
        } catch (Exception | LinkageError e) {
            e.printStackTrace();
            StringBuilder out = new StringBuilder("{");
            Json.field(out, "error", e.toString());
            System.out.println(out.append('}'));
            System.exit(4);
        }
    }

    private static void usage(String why) {
        System.err.println("StatusCheck: " + why + "\nusage: StatusCheck [--provider NNN] [--trace]"
            + " ENDPOINT USERNAME PASSWORD by-file|since|can-process|my-facility [ARGS...]");
        System.exit(2);
    }

    /** As OSCAR: new FacilityWsService(new URL(endpoint + "?wsdl")).getFacilityWsPort(). */
    static FacilityWs connect(String endpoint, String user, String password, String provider,
                              boolean trace) throws java.io.IOException {
        FacilityWsService service = new FacilityWsService(new URL(endpoint + "?wsdl"));
        return OscarPorts.configure(service.getFacilityWsPort(), user, password, provider, trace);
    }

    static String run(FacilityWs port, String command, List<String> args) {
        String address = (String) ((BindingProvider) port).getRequestContext()
            .get(BindingProvider.ENDPOINT_ADDRESS_PROPERTY);
        StringBuilder out = new StringBuilder("{");
        Json.field(out, "address", address);
        out.append(',');
        switch (command) {
            case "by-file":
                need(command, args, 2);
                out.append("\"logs\":");
                logs(out, port.getImportLogByFilenameAndChecksum(args.get(0), args.get(1)));
                break;
            case "since":
                need(command, args, 1);
                out.append("\"logs\":");
                logs(out, port.getImportLogsSince(date(args.get(0))));
                break;
            case "can-process":
                need(command, args, 5);
                Json.field(out, "result", port.canProcessFile(text(args.get(0)),
                    text(args.get(1)), date(args.get(2)), date(args.get(3)), text(args.get(4))));
                break;
            case "my-facility":
                need(command, args, 0);
                out.append("\"facility\":");
                facility(out, port.getMyFacility());
                break;
            default:
                usage("unknown command " + command);
        }
        return out.append('}').toString();
    }

    private static void need(String command, List<String> args, int count) {
        if (args.size() != count) {
            usage(command + " takes " + count + " arguments, not " + args.size());
        }
    }

    private static String text(String arg) {
        return "-".equals(arg) ? null : arg;
    }

    private static XMLGregorianCalendar date(String arg) {
        if ("-".equals(arg)) {
            return null;
        }
        try {
            return DatatypeFactory.newInstance().newXMLGregorianCalendar(arg);
        } catch (javax.xml.datatype.DatatypeConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String iso(XMLGregorianCalendar value) {
        return value == null ? null : value.toXMLFormat();
    }

    private static void logs(StringBuilder out, List<ImportLog> logs) {
        out.append('[');
        for (int i = 0; i < logs.size(); i++) {
            ImportLog log = logs.get(i);
            out.append(i == 0 ? "{" : ",{");
            Json.field(out, "id", log.getId());
            out.append(',');
            Json.field(out, "facilityId", log.getFacilityId());
            out.append(',');
            Json.field(out, "filename", log.getFilename());
            out.append(',');
            Json.field(out, "checksum", log.getChecksum());
            out.append(',');
            Json.field(out, "status", log.getStatus());
            out.append(',');
            Json.field(out, "dependsOn", log.getDependsOn());
            out.append(',');
            Json.field(out, "dateIntervalStart", iso(log.getDateIntervalStart()));
            out.append(',');
            Json.field(out, "dateIntervalEnd", iso(log.getDateIntervalEnd()));
            out.append(',');
            Json.field(out, "dateCreated", iso(log.getDateCreated()));
            out.append(',');
            Json.field(out, "lastUpdatedDate", iso(log.getLastUpdatedDate()));
            out.append('}');
        }
        out.append(']');
    }

    private static void facility(StringBuilder out, CachedFacility facility) {
        if (facility == null) {
            out.append("null");
            return;
        }
        out.append('{');
        Json.field(out, "integratorFacilityId", facility.getIntegratorFacilityId());
        out.append(',');
        Json.field(out, "name", facility.getName());
        out.append(',');
        Json.field(out, "description", facility.getDescription());
        out.append(',');
        Json.field(out, "contactName", facility.getContactName());
        out.append(',');
        Json.field(out, "contactEmail", facility.getContactEmail());
        out.append(',');
        Json.field(out, "contactPhone", facility.getContactPhone());
        out.append(',');
        Json.field(out, "hic", facility.isHic());
        out.append(',');
        Json.field(out, "allowSims", facility.isAllowSims());
        out.append(',');
        Json.field(out, "enableIntegratedReferrals", facility.isEnableIntegratedReferrals());
        out.append(',');
        Json.field(out, "lastDataUpdate", iso(facility.getLastDataUpdate()));
        out.append('}');
    }
}
