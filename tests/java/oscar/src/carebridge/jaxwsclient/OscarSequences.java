package carebridge.jaxwsclient;

import java.net.URL;
import java.util.ArrayList;
import java.util.GregorianCalendar;
import java.util.List;
import java.util.TimeZone;

import javax.xml.datatype.DatatypeFactory;
import javax.xml.datatype.XMLGregorianCalendar;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.soap.SOAPFaultException;

import org.oscarehr.caisi_integrator.ws.*;

/**
 * OSCAR's calls to the CAISI Integrator, in OSCAR's order, through stubs declared with the
 * real stubs' annotations (tests/oscar_stubs.py). Each port is made as CaisiIntegratorManager
 * makes it: {@code new XxxWsService(new URL(base + "/XxxService?wsdl")).getXxxWsPort()}, the
 * address taken from that WSDL, OSCAR's WS-Security header on every request.
 *
 * <pre>
 * OscarSequences [--provider NNN] BASE_URL USERNAME PASSWORD SEQUENCE [ARGS...]
 *   push-cycle FILENAME CHECKSUM        CaisiIntegratorUpdateTask: getMyFacility, file log refresh
 *   status-page                         integratorStatus.jsp: getAllFacility, getMyFacility
 *   chart DEMO                          notes (metadata, then by ids), drugs, allergies, issues,
 *                                       preventions, documents, labs, appointments
 *   link-screen DEMO [FAC OTHER]        ManageLinkedClients: linked lists, matching (20/5), save
 *   unlink DEMO FAC OTHER
 *   match FIRST LAST YYYY-MM-DD HIN     demographic search: getMatchingDemographics (15/7)
 *   consent DEMO GIVEN|REVOKED          pushConsent, then getConsentState as summary.jsp does
 *   directory                           getAllPrograms, getAllProviders, referral programs
 * </pre>
 * Prints one line of JSON. Exit 3 on a SOAP fault, 4 on any other failure.
 */
public final class OscarSequences {
    private static String base;
    private static String user;
    private static String password;
    private static String provider;

    private OscarSequences() {
    }

    public static void main(String[] argv) {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            if ("--provider".equals(argv[i]) && i + 1 < argv.length) {
                provider = argv[++i];
            } else {
                args.add(argv[i]);
            }
        }
        base = args.get(0);
        user = args.get(1);
        password = args.get(2);
        try {
            System.out.println(run(args.get(3), args.subList(4, args.size())));
            System.exit(0);
        } catch (SOAPFaultException e) {
            StringBuilder out = new StringBuilder("{");
            Json.field(out, "fault", e.getFault().getFaultString());
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

    private static <T> T configure(T port) {
        return OscarPorts.configure(port, user, password, provider, false);
    }

    private static URL wsdl(String name) throws java.io.IOException {
        return new URL(base + "/" + name + "?wsdl");
    }

    static FacilityWs facilityWs() throws java.io.IOException {
        return configure(new FacilityWsService(wsdl("FacilityService")).getFacilityWsPort());
    }

    static DemographicWs demographicWs() throws java.io.IOException {
        return configure(new DemographicWsService(wsdl("DemographicService"))
            .getDemographicWsPort());
    }

    static String run(String sequence, List<String> args) throws Exception {
        StringBuilder out = new StringBuilder("{");
        switch (sequence) {
            case "push-cycle": {
                FacilityWs facility = facilityWs();
                CachedFacility mine = facility.getMyFacility();
                Json.field(out, "cachedFacilityId", mine == null ? null : mine.integratorFacilityId);
                out.append(',');
                Json.field(out, "cachedFacilityName", mine == null ? null : mine.name);
                out.append(",\"statuses\":[");
                List<ImportLog> logs = facility.getImportLogByFilenameAndChecksum(args.get(0),
                    args.get(1));
                for (int i = 0; i < logs.size(); i++) {
                    Json.string(out.append(i > 0 ? "," : ""), logs.get(i).status);
                }
                out.append(']');
                break;
            }
            case "status-page": {
                FacilityWs facility = facilityWs();
                List<CachedFacility> all = facility.getAllFacility();
                CachedFacility mine = facility.getMyFacility();
                Json.field(out, "address", ((BindingProvider) facility).getRequestContext()
                    .get(BindingProvider.ENDPOINT_ADDRESS_PROPERTY));
                out.append(",\"facilities\":[");
                for (int i = 0; i < all.size(); i++) {
                    CachedFacility f = all.get(i);
                    out.append(i > 0 ? "," : "").append('{');
                    Json.field(out, "id", f.integratorFacilityId);
                    out.append(',');
                    Json.field(out, "name", f.name);
                    out.append(',');
                    // integratorStatus.jsp: the caller's own row is the one highlighted.
                    Json.field(out, "mine", f.integratorFacilityId.equals(
                        mine.integratorFacilityId));
                    out.append('}');
                }
                out.append(']');
                break;
            }
            case "chart": {
                DemographicWs ws = demographicWs();
                Integer demo = Integer.valueOf(args.get(0));
                List<CachedDemographicNote> meta = ws.getLinkedCachedDemographicNoteMetaData(demo);
                List<CachedDemographicNoteCompositePk> ids = new ArrayList<>();
                for (CachedDemographicNote note : meta) {
                    ids.add(note.cachedDemographicNoteCompositePk);
                }
                List<CachedDemographicNote> notes = ws.getLinkedCachedDemographicNotesByIds(ids);
                Json.field(out, "metadata", meta.size());
                out.append(',');
                Json.field(out, "notes", notes.size());
                out.append(',');
                Json.field(out, "firstNote", notes.isEmpty() ? null : notes.get(0).note);
                out.append(',');
                Json.field(out, "noteFacility", notes.isEmpty() ? null
                    : notes.get(0).cachedDemographicNoteCompositePk.integratorFacilityId);
                out.append(',');
                Json.field(out, "drugs", ws.getLinkedCachedDemographicDrugsByDemographicId(demo)
                    .size());
                out.append(',');
                Json.field(out, "allergies", ws.getLinkedCachedDemographicAllergies(demo).size());
                out.append(',');
                Json.field(out, "issues", ws.getLinkedCachedDemographicIssuesByDemographicId(demo)
                    .size());
                out.append(',');
                Json.field(out, "preventions",
                    ws.getLinkedCachedDemographicPreventionsByDemographicId(demo).size());
                out.append(',');
                List<CachedDemographicDocument> documents =
                    ws.getLinkedCachedDemographicDocuments(demo);
                Json.field(out, "documents", documents.size());
                out.append(',');
                int bytes = 0;
                for (CachedDemographicDocument document : documents) {
                    CachedDemographicDocumentContents contents =
                        ws.getCachedDemographicDocumentContents(document.facilityIntegerPk);
                    bytes += contents == null ? 0 : contents.fileContents.length;
                }
                Json.field(out, "documentBytes", bytes);
                out.append(',');
                Json.field(out, "labs", ws.getLinkedCachedDemographicLabResults(demo).size());
                out.append(',');
                Json.field(out, "appointments", ws.getLinkedCachedAppointments(demo).size());
                break;
            }
            case "link-screen": {
                DemographicWs ws = demographicWs();
                FacilityWs facility = facilityWs();
                Integer demo = Integer.valueOf(args.get(0));
                if (args.size() == 3) { // ManageLinkedClientsAction.save: tick one more
                    ws.linkDemographics(provider, demo, Integer.valueOf(args.get(1)),
                        Integer.valueOf(args.get(2)));
                }
                List<DemographicTransfer> direct =
                    ws.getDirectlyLinkedDemographicsByDemographicId(demo);
                List<DemographicTransfer> all = ws.getLinkedDemographicsByDemographicId(demo);
                List<CachedFacility> facilities = facility.getAllFacility();
                out.append("\"direct\":");
                transfers(out, direct, facilities);
                out.append(",\"linked\":");
                transfers(out, all, facilities);
                break;
            }
            case "unlink": {
                demographicWs().unLinkDemographics(Integer.valueOf(args.get(0)),
                    Integer.valueOf(args.get(1)), Integer.valueOf(args.get(2)));
                Json.field(out, "unlinked", true);
                break;
            }
            case "match": {
                MatchingDemographicParameters p = new MatchingDemographicParameters();
                p.maxEntriesToReturn = 15;
                p.minScore = 7;
                p.firstName = args.get(0);
                p.lastName = args.get(1);
                p.birthDate = date(args.get(2));
                p.hin = args.get(3);
                out.append("\"matches\":[");
                List<MatchingDemographicTransferScore> found =
                    demographicWs().getMatchingDemographics(p);
                for (int i = 0; i < found.size(); i++) {
                    MatchingDemographicTransferScore score = found.get(i);
                    out.append(i > 0 ? "," : "").append('{');
                    Json.field(out, "facility", score.demographicTransfer.integratorFacilityId);
                    out.append(',');
                    Json.field(out, "demographic", score.demographicTransfer.caisiDemographicId);
                    out.append(',');
                    Json.field(out, "score", score.score);
                    out.append('}');
                }
                out.append(']');
                break;
            }
            case "consent": {
                DemographicWs ws = demographicWs();
                Integer demo = Integer.valueOf(args.get(0));
                // CaisiIntegratorManager.makeIntegratorConsent, facility 1 hard-coded as OSCAR has it
                SetConsentTransfer consent = new SetConsentTransfer();
                consent.consentStatus = args.get(1);
                consent.demographicId = demo;
                consent.createdDate = DatatypeFactory.newInstance().newXMLGregorianCalendar(
                    new GregorianCalendar(TimeZone.getTimeZone("UTC")));
                consent.excludeMentalHealthData = false;
                FacilityConsentPair pair = new FacilityConsentPair();
                pair.remoteFacilityId = 1;
                pair.shareData = true;
                consent.consentToShareData = new ArrayList<>(List.of(pair));
                ws.setCachedDemographicConsent(consent);
                FacilityIdIntegerCompositePk pk = new FacilityIdIntegerCompositePk();
                pk.integratorFacilityId = facilityWs().getMyFacility().integratorFacilityId;
                pk.caisiItemId = demo;
                GetConsentTransfer state = ws.getConsentState(pk);
                Json.field(out, "consentState", state == null ? null : state.consentState);
                break;
            }
            case "hnr": {
                // ManageHnrClientAction: a ConnectException_Exception means "HNR offline"
                HnrWs hnr = configure(new HnrWsService(wsdl("HnrService")).getHnrWsPort());
                try {
                    hnr.getHnrClient(Integer.valueOf(args.get(0)));
                    Json.field(out, "hnr", "online");
                } catch (ConnectException_Exception e) {
                    Json.field(out, "hnr", "offline");
                    out.append(',');
                    Json.field(out, "message", e.getFaultInfo().message);
                }
                break;
            }
            case "directory": {
                List<CachedProgram> programs = configure(new ProgramWsService(
                    wsdl("ProgramService")).getProgramWsPort()).getAllPrograms();
                List<CachedProvider> providers = configure(new ProviderWsService(
                    wsdl("ProviderService")).getProviderWsPort()).getAllProviders();
                List<CachedProgram> referral = configure(new ProgramWsService(
                    wsdl("ProgramService")).getProgramWsPort())
                    .getAllProgramsAllowingIntegratedReferrals();
                Json.field(out, "programs", programs.size());
                out.append(',');
                Json.field(out, "providers", providers.size());
                out.append(',');
                Json.field(out, "referralPrograms", referral.size());
                break;
            }
            default:
                throw new IllegalArgumentException("unknown sequence " + sequence);
        }
        return out.append('}').toString();
    }

    private static void transfers(StringBuilder out, List<DemographicTransfer> transfers,
                                  List<CachedFacility> facilities) {
        out.append('[');
        for (int i = 0; i < transfers.size(); i++) {
            DemographicTransfer t = transfers.get(i);
            CachedFacility remote = null;
            for (CachedFacility f : facilities) {
                if (f.integratorFacilityId.equals(t.integratorFacilityId)) {
                    remote = f;
                }
            }
            out.append(i > 0 ? "," : "").append('{');
            Json.field(out, "facility", t.integratorFacilityId);
            out.append(',');
            Json.field(out, "demographic", t.caisiDemographicId);
            out.append(',');
            // OSCAR: getRemoteFacility(id).getIntegratorFacilityId(), an NPE when not listed
            Json.field(out, "facilityName", remote.name);
            out.append('}');
        }
        out.append(']');
    }

    private static XMLGregorianCalendar date(String iso) throws Exception {
        if ("-".equals(iso)) {
            return null;
        }
        String[] part = iso.split("-");
        GregorianCalendar day = new GregorianCalendar(TimeZone.getTimeZone("America/Toronto"));
        day.clear();
        day.set(Integer.parseInt(part[0]), Integer.parseInt(part[1]) - 1,
            Integer.parseInt(part[2]));
        return DatatypeFactory.newInstance().newXMLGregorianCalendar(day);
    }
}
