package carebridge.testkit;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.sql.Timestamp;
import java.text.SimpleDateFormat;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TimeZone;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.oscarehr.PMmodule.caisi_integrator.DeleteCachedDemographicIssuesWrapper;
import org.oscarehr.PMmodule.caisi_integrator.DeleteCachedDemographicPreventionsWrapper;
import org.oscarehr.PMmodule.caisi_integrator.IntegratorFileFooter;
import org.oscarehr.PMmodule.caisi_integrator.IntegratorFileHeader;
import org.oscarehr.PMmodule.caisi_integrator.ProgramDeleteIdWrapper;
import org.oscarehr.caisi_integrator.ws.ProviderCommunicationTransfer;
import org.oscarehr.caisi_integrator.dao.CachedAdmission;
import org.oscarehr.caisi_integrator.dao.CachedAppointment;
import org.oscarehr.caisi_integrator.dao.CachedDemographic;
import org.oscarehr.caisi_integrator.dao.CachedDemographicAllergy;
import org.oscarehr.caisi_integrator.dao.CachedDemographicDocument;
import org.oscarehr.caisi_integrator.dao.CachedDemographicDrug;
import org.oscarehr.caisi_integrator.dao.CachedDemographicIssue;
import org.oscarehr.caisi_integrator.dao.CachedDemographicNote;
import org.oscarehr.caisi_integrator.dao.CachedDemographicNoteCompositePk;
import org.oscarehr.caisi_integrator.dao.CachedDemographicPrevention;
import org.oscarehr.caisi_integrator.dao.CachedFacility;
import org.oscarehr.caisi_integrator.dao.CachedMeasurement;
import org.oscarehr.caisi_integrator.dao.CachedProgram;
import org.oscarehr.caisi_integrator.dao.CachedProvider;
import org.oscarehr.caisi_integrator.dao.FacilityIdDemographicIssueCompositePk;
import org.oscarehr.caisi_integrator.dao.FacilityIdIntegerCompositePk;
import org.oscarehr.caisi_integrator.dao.FacilityIdStringCompositePk;
import org.oscarehr.caisi_integrator.dao.NoteIssue;
import org.oscarehr.caisi_integrator.util.CodeType;
import org.oscarehr.caisi_integrator.util.Role;
import org.oscarehr.caisi_integrator.ws.transfer.DemographicTransfer;
import org.oscarehr.caisi_integrator.ws.transfer.ProviderTransfer;

/**
 * Writes an OSCAR EMR integrator push (IntegratorPush_*.zip, optional -Docs.zip) the way
 * CaisiIntegratorUpdateTask does: numbered .ser files, each its own ObjectOutputStream,
 * objects written with writeUnshared; patients re-read from a per-demographic temp stream
 * and re-written; a new numbered file whenever the demographic counter hits a multiple of 500.
 * Prints one line of JSON describing what it wrote. Deterministic for a given --seed/--date.
 */
public final class MakePush {
    private static final int PATIENTS_PER_FILE = 500;
    private static final int PROVIDER_CHUNK = 50;
    private static final long DAY = 24L * 60 * 60 * 1000;
    private static final int[] PROGRAM_IDS = {10, 11, 12};

    private static final String[] FIRST_NAMES = {
        "Olivia", "Liam", "Emma", "Noah", "Charlotte", "William", "Amelia", "James", "Sophia", "Benjamin",
        "Chloé", "Lucas", "Zoë", "Mathieu", "Aisha", "Mohammed", "Priya", "Arjun", "Mei", "Wei",
        "Fatima", "Omar", "Hannah", "Ethan", "Isabelle", "Gabriel", "Léa", "Samuel", "Nadia", "Daniel",
        "Grace", "Jacob", "Ava", "Logan", "Mia", "Owen", "Ines", "Hugo", "Sara", "Tariq"};
    private static final String[] LAST_NAMES = {
        "Smith", "Tremblay", "Brown", "Martin", "Roy", "Wilson", "MacDonald", "Gagnon", "Johnson", "Taylor",
        "Côté", "Campbell", "Anderson", "Leblanc", "Lee", "Wong", "Patel", "Singh", "Nguyen", "Chen",
        "O'Brien", "Gauthier", "White", "Morin", "Thompson", "Bélanger", "Young", "Khan", "Ali", "Kowalski",
        "Da Silva", "Pelletier", "Clarke", "Lévesque", "Hughes", "Ahmed", "Park", "Fraser", "Reid", "Stewart"};
    private static final String[] CITIES = {
        "Toronto", "Hamilton", "Ottawa", "Kingston", "London", "Sudbury", "Thunder Bay", "Barrie", "Guelph", "Windsor"};
    private static final String[] STREETS = {
        "King St W", "Queen St E", "Main St", "Dundas St", "Bloor St W", "Yonge St", "Bay St", "Elm Ave",
        "Maple Cres", "Rue Principale"};
    private static final String[][] ISSUES = {
        {"ICD9", "250", "Diabetes mellitus"}, {"ICD9", "401", "Essential hypertension"},
        {"ICD9", "493", "Asthma"}, {"ICD9", "311", "Depressive disorder"},
        {"ICD9", "272", "Disorders of lipoid metabolism"}, {"ICD9", "715", "Osteoarthrosis"},
        {"ICD10", "E11", "Type 2 diabetes mellitus"}, {"ICD10", "J45", "Asthma"},
        {"CUSTOM_ISSUE", "SmokingCessation", "Smoking cessation"}};
    private static final String[] NOTE_TEXT = {
        "Patient seen for follow-up. Feeling well, no new complaints.",
        "BP reviewed, continue current medication. Return in 3 months.",
        "Discussed diet and exercise; patient motivated to make changes.",
        "Reports intermittent headaches, advised to keep a diary.",
        "Renewed prescriptions. Bloodwork requisition given.",
        "Called patient re: lab results, all within normal limits."};
    private static final String[][] DRUGS = {
        {"METFORMIN 500MG", "METFORMIN", "A10BA02", "500", "mg", "BID"},
        {"RAMIPRIL 5MG", "RAMIPRIL", "C09AA05", "5", "mg", "OD"},
        {"ATORVASTATIN 20MG", "ATORVASTATIN", "C10AA05", "20", "mg", "QHS"},
        {"SALBUTAMOL 100MCG", "SALBUTAMOL", "R03AC02", "100", "mcg", "PRN"},
        {"SERTRALINE 50MG", "SERTRALINE", "N06AB06", "50", "mg", "OD"}};
    private static final String[][] MEASUREMENTS = {
        {"BP", "Sitting position"}, {"WT", "in kg"}, {"HT", "in cm"}, {"A1C", "lab"}, {"HR", "in bpm"}};
    private static final String[] ALLERGIES = {"PENICILLINS", "SULFA DRUGS", "CODEINE", "LATEX", "PEANUTS"};
    private static final String[] PREVENTIONS = {"Flu", "Td", "Pneumovax", "PAP", "Mammogram", "Colonoscopy"};
    private static final String[] APPOINTMENT_REASONS = {"Follow-up", "Annual physical", "Prescription renewal", "Lab review"};

    private final Options opt;
    private final Random rnd;
    private final Path workDir;
    private final String base;

    private final List<Path> serFiles = new ArrayList<>();
    private final List<String> documentFiles = new ArrayList<>();
    private final List<Integer> documentIds = new ArrayList<>();
    private String[] providerIds;

    private long objects;
    private long records;
    private int preventionId;
    private int drugId;
    private int admissionId;
    private int appointmentId;
    private int measurementId;
    private int allergyId;
    private int documentId;

    private MakePush(Options opt) throws IOException {
        this.opt = opt;
        this.rnd = new Random(opt.seed);
        SimpleDateFormat fmt = new SimpleDateFormat("yyyy_MM_dd_HH_mm_ss");
        fmt.setTimeZone(TimeZone.getTimeZone("UTC"));
        this.base = "IntegratorPush_" + opt.emrFacilityId + "_" + fmt.format(new Date(opt.date));
        Files.createDirectories(opt.out);
        this.workDir = Files.createTempDirectory(opt.out, ".makepush-");
    }

    public static void main(String[] args) throws Exception {
        Options opt;
        try {
            opt = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("MakePush: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        MakePush push = new MakePush(opt);
        try {
            System.out.println(push.run());
        } finally {
            push.deleteWorkDir();
        }
    }

    private String run() throws Exception {
        Path metaFile = workDir.resolve(base + "_documentMeta.txt");
        try (PrintWriter meta = new PrintWriter(new OutputStreamWriter(
                Files.newOutputStream(metaFile), StandardCharsets.UTF_8))) {
            writeFacilityFile();
            writeDemographicFiles(meta);
        }
        int fileNo = serFiles.size() + 1;
        if (opt.footer) {
            try (ObjectOutputStream out = openSer(fileNo)) {
                write(out, new IntegratorFileFooter());
            }
        }
        if (opt.truncateLastSer > 0) {
            truncate(serFiles.get(serFiles.size() - 1), opt.truncateLastSer);
        }

        List<Path> mainEntries = new ArrayList<>(serFiles);
        mainEntries.add(metaFile);
        Path mainTemp = opt.out.resolve(base + ".zipTemp");
        zip(mainTemp, mainEntries, null);
        String checksum = md5Hex(mainTemp);
        Path mainZip = opt.out.resolve(base + ".zip");
        Files.move(mainTemp, mainZip, StandardCopyOption.REPLACE_EXISTING);

        Path docsZip = null;
        if (!documentFiles.isEmpty()) {
            Path docsTemp = opt.out.resolve(base + "-Docs.zipTemp");
            zip(docsTemp, null, documentFiles);
            docsZip = opt.out.resolve(base + "-Docs.zip");
            Files.move(docsTemp, docsZip, StandardCopyOption.REPLACE_EXISTING);
        }

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("main", mainZip.toAbsolutePath().toString());
        result.put("docs", docsZip == null ? null : docsZip.toAbsolutePath().toString());
        result.put("checksum", checksum);
        result.put("base", base);
        result.put("patients", opt.patients);
        result.put("objects", objects);
        result.put("records", records);
        result.put("documents", documentFiles.size());
        result.put("files", serFiles.size());
        return Json.value(result);
    }

    // ---- file 1: header, facility, providers, programs -------------------------------------

    private void writeFacilityFile() throws IOException {
        String facilityName = "Carebridge Test Clinic " + opt.emrFacilityId;
        try (ObjectOutputStream out = openSer(1)) {
            IntegratorFileHeader header = new IntegratorFileHeader();
            header.setDate(new Date(opt.date));
            header.setLastDate(new Date(opt.lastDate));
            header.setDependsOn(opt.dependsOn);
            header.setCachedFacilityId(null);
            header.setCachedFacilityName(facilityName);
            header.setUsername(opt.username);
            write(out, header);

            if (opt.providerMessages > 0) {  // Open-O: provider messages right after the header
                ArrayList<ProviderCommunicationTransfer> messages = new ArrayList<>();
                for (int i = 0; i < opt.providerMessages; i++) {
                    messages.add(new ProviderCommunicationTransfer(i + 1, "1001", "2002",
                            new Date(opt.date), ("message " + (i + 1)).getBytes("UTF-8")));
                }
                write(out, messages);
                records += messages.size();
            }

            CachedFacility facility = new CachedFacility();
            facility.setName(facilityName);
            facility.setDescription("Synthetic family health team used by carebridge tests");
            facility.setContactName("Clinic Manager");
            facility.setContactEmail("manager" + opt.emrFacilityId + "@clinic.example.org");
            facility.setContactPhone("416-555-0" + String.format("%03d", opt.emrFacilityId % 1000));
            facility.setHic(false);
            facility.setEnableIntegratedReferrals(true);
            facility.setAllowSims(true);
            facility.setLastDataUpdate(new Date(opt.date));
            write(out, facility);
            records++;

            int providerCount = 3 + opt.patients / 25;
            providerIds = new String[providerCount];
            ArrayList<ProviderTransfer> chunk = new ArrayList<>();
            for (int i = 0; i < providerCount; i++) {
                providerIds[i] = String.valueOf(1001 + i);
                CachedProvider provider = new CachedProvider();
                provider.setId(new FacilityIdStringCompositePk(null, providerIds[i]));
                provider.setFirstName(pick(FIRST_NAMES));
                provider.setLastName(pick(LAST_NAMES));
                provider.setSpecialty(i % 4 == 3 ? "Nursing" : "Family Medicine");
                provider.setWorkPhone(phone());
                ProviderTransfer transfer = new ProviderTransfer();
                transfer.setRoles(new ArrayList<Role>());
                transfer.setCachedProvider(provider);
                transfer.getRoles().add(i % 4 == 3 ? Role.RN : Role.DOCTOR);
                chunk.add(transfer);
                if (chunk.size() == PROVIDER_CHUNK) {
                    write(out, chunk);
                    records += chunk.size();
                    chunk = new ArrayList<>();
                }
            }
            if (!chunk.isEmpty()) {
                write(out, chunk);
                records += chunk.size();
            }

            ArrayList<CachedProgram> programs = new ArrayList<>();
            String[][] programInfo = {
                {"Family Practice", "Service", "Primary care for rostered patients"},
                {"Diabetes Education", "Service", "Group and individual diabetes education"},
                {"Transitional Housing", "Bed", "Short-term supportive housing"}};
            List<Integer> programIds = new ArrayList<>();
            for (int i = 0; i < PROGRAM_IDS.length; i++) {
                CachedProgram program = new CachedProgram();
                program.setId(new FacilityIdIntegerCompositePk(null, PROGRAM_IDS[i]));
                program.setName(programInfo[i][0]);
                program.setType(programInfo[i][1]);
                program.setDescription(programInfo[i][2]);
                program.setStatus("active");
                program.setGender(null);
                program.setBedProgramAffiliated("Bed".equals(programInfo[i][1]));
                program.setHousing("Bed".equals(programInfo[i][1]));
                program.setPhysicalHealth(true);
                program.setAddress((100 + i) + " Main St, Toronto ON");
                program.setPhone(phone());
                program.setEmail("program" + PROGRAM_IDS[i] + "@clinic.example.org");
                programs.add(program);
                programIds.add(PROGRAM_IDS[i]);
            }
            write(out, programs);
            records += programs.size();
            write(out, new ProgramDeleteIdWrapper(programIds));
        }
    }

    // ---- files 2..n: demographics ----------------------------------------------------------

    private void writeDemographicFiles(PrintWriter meta) throws Exception {
        int fileNo = 2;
        ObjectOutputStream out = openSer(fileNo);
        try {
            int count = 0;
            List<Object> patient = new ArrayList<>(16);
            for (int i = 0; i < opt.patients; i++) {
                count++;
                if (count % PATIENTS_PER_FILE == 0) {
                    out.close();
                    out = openSer(++fileNo);
                }
                patient.clear();
                buildPatient(i, patient, meta);
                copyThroughTempStream(patient, out);
            }
        } finally {
            out.close();
        }
    }

    /** As the EMR does: write to a per-demographic stream, readUnshared it back, writeUnshared again. */
    private void copyThroughTempStream(List<Object> items, ObjectOutputStream out) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(16 * 1024);
        try (ObjectOutputStream temp = new ObjectOutputStream(buffer)) {
            for (Object item : items) {
                temp.writeUnshared(item);
            }
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(buffer.toByteArray()))) {
            for (int k = 0; k < items.size(); k++) {
                write(out, in.readUnshared());
            }
        }
    }

    private void buildPatient(int index, List<Object> items, PrintWriter meta) {
        int demo = 1000 + index;
        String provider = providerIds[rnd.nextInt(providerIds.length)];
        long now = opt.date;
        long window = Math.max(60_000L, Math.min(365 * DAY, now - opt.lastDate));
        long changed = now - 1000 - (long) (rnd.nextDouble() * (window - 1000));

        DemographicTransfer d = new DemographicTransfer();
        d.setCaisiDemographicId(demo);
        d.setCaisiProviderId(provider);
        d.setFirstName(pick(FIRST_NAMES));
        d.setLastName(pick(LAST_NAMES));
        long birth = Instant.parse("1930-01-01T00:00:00Z").toEpochMilli() + rnd.nextInt(90 * 365) * DAY;
        d.setBirthDate(new Date(birth));
        int g = rnd.nextInt(100);
        d.setGender(g < 48 ? CachedDemographic.Gender.M : g < 96 ? CachedDemographic.Gender.F
                : g < 98 ? CachedDemographic.Gender.O : CachedDemographic.Gender.U);
        d.setHin(digits(10));
        d.setHinType("ON");
        d.setHinVersion("" + (char) ('A' + rnd.nextInt(26)) + (char) ('A' + rnd.nextInt(26)));
        d.setHinValidStart(new Date(now - (1 + rnd.nextInt(4)) * 365 * DAY));
        d.setHinValidEnd(new Date(now + (1 + rnd.nextInt(4)) * 365 * DAY));
        d.setSin(rnd.nextInt(3) == 0 ? digits(9) : null);
        d.setProvince("ON");
        d.setCity(pick(CITIES));
        d.setStreetAddress((1 + rnd.nextInt(999)) + " " + pick(STREETS));
        d.setPhone1(phone());
        d.setPhone2(rnd.nextInt(4) == 0 ? phone() : null);
        d.setLastUpdateUser(provider);
        d.setLastUpdateDate(new Timestamp(changed));
        d.setRemoveId(false);
        items.add(d);
        records++;

        // issues: one singleton list each, then the keys the demographic still has
        int first = rnd.nextInt(ISSUES.length);
        int second = (first + 1 + rnd.nextInt(ISSUES.length - 1)) % ISSUES.length;
        List<FacilityIdDemographicIssueCompositePk> keys = new ArrayList<>();
        for (int which : new int[] {first, second}) {
            String[] info = ISSUES[which];
            FacilityIdDemographicIssueCompositePk pk = new FacilityIdDemographicIssueCompositePk(
                    null, demo, CodeType.valueOf(info[0]), info[1]);
            CachedDemographicIssue issue = new CachedDemographicIssue();
            issue.setId(pk);
            issue.setIssueDescription(info[2]);
            issue.setIssueRole(Role.DOCTOR);
            issue.setAcute(rnd.nextInt(5) == 0);
            issue.setCertain(Boolean.TRUE);
            issue.setMajor(rnd.nextBoolean());
            issue.setResolved(Boolean.FALSE);
            items.add(singleton(issue));
            records++;
            keys.add(new FacilityIdDemographicIssueCompositePk(null, demo, pk.getCodeType(), pk.getIssueCode()));
        }
        items.add(new DeleteCachedDemographicIssuesWrapper(demo, keys));

        // preventions
        CachedDemographicPrevention prevention = new CachedDemographicPrevention();
        int pid = ++preventionId;
        prevention.setId(new FacilityIdIntegerCompositePk(null, pid));
        prevention.setCaisiDemographicId(demo);
        prevention.setCaisiProviderId(provider);
        prevention.setPreventionType(pick(PREVENTIONS));
        prevention.setPreventionDate(new Date(now - rnd.nextInt(3 * 365) * DAY));
        prevention.setNextDate(new Date(now + rnd.nextInt(365) * DAY));
        prevention.setRefused(rnd.nextInt(20) == 0);
        prevention.setNever(false);
        prevention.setAttributes("<PreventionExt><lot>" + (char) ('A' + rnd.nextInt(26)) + digits(5)
                + "</lot><location>left deltoid</location><comments>tolerated well</comments></PreventionExt>");
        items.add(singleton(prevention));
        records++;
        items.add(new DeleteCachedDemographicPreventionsWrapper(demo, new ArrayList<>(Arrays.asList(pid))));

        // notes
        String[] noteIssue = ISSUES[first];
        for (int n = 0; n < 2; n++) {
            CachedDemographicNote note = new CachedDemographicNote();
            UUID uuid = new UUID(rnd.nextLong(), rnd.nextLong());
            note.setId(new CachedDemographicNoteCompositePk(null, uuid + ":" + demo));
            long observed = changed - rnd.nextInt(30) * DAY;
            note.setObservationDate(new Timestamp(observed));
            note.setUpdateDate(new Timestamp(Math.max(observed, changed)));
            note.setCaisiDemographicId(demo);
            note.setObservationCaisiProviderId(provider);
            note.setSigningCaisiProviderId(provider);
            note.setEncounterType("face to face encounter with client");
            note.setCaisiProgramId(PROGRAM_IDS[0]);
            note.setNote(pick(NOTE_TEXT) + "\n[Signed on " + new Date(observed).toInstant() + " by " + provider + "]");
            note.setRole("doctor");
            if (n == 0) {
                note.getNoteIssues().add(noteIssue[0] + "." + noteIssue[1]);
                note.getIssues().add(new NoteIssue(CodeType.valueOf(noteIssue[0]), noteIssue[1]));
            }
            items.add(singleton(note));
            records++;
        }

        // drugs
        String[] drugInfo = DRUGS[rnd.nextInt(DRUGS.length)];
        CachedDemographicDrug drug = new CachedDemographicDrug();
        drug.setId(new FacilityIdIntegerCompositePk(null, ++drugId));
        drug.setCaisiProviderId(provider);
        drug.setCaisiDemographicId(demo);
        long rx = now - rnd.nextInt(180) * DAY;
        drug.setRxDate(new java.sql.Date(rx));
        drug.setEndDate(new java.sql.Date(rx + 90 * DAY));
        drug.setBrandName(drugInfo[0]);
        drug.setGenericName(drugInfo[1]);
        drug.setAtc(drugInfo[2]);
        drug.setTakeMin(1f);
        drug.setTakeMax(rnd.nextBoolean() ? 1f : 2f);
        drug.setFreqCode(drugInfo[5]);
        drug.setDuration("90");
        drug.setDurUnit("D");
        drug.setQuantity(String.valueOf(90 + 90 * rnd.nextInt(2)));
        drug.setRepeats(rnd.nextInt(4));
        drug.setLastRefillDate(new Date(rx));
        drug.setPrn("PRN".equals(drugInfo[5]));
        drug.setSpecial(drugInfo[0] + "\nTake " + drugInfo[3] + drugInfo[4] + " " + drugInfo[5]);
        drug.setScriptNo(drugId);
        drug.setUnit(drugInfo[4]);
        drug.setMethod("Take");
        drug.setRoute("PO");
        drug.setDrugForm("TABLET");
        drug.setCreateDate(new Timestamp(rx));
        drug.setDosage(drugInfo[3] + " " + drugInfo[4]);
        drug.setUnitName(drugInfo[4]);
        drug.setLongTerm(rnd.nextBoolean());
        drug.setPastMed(Boolean.FALSE);
        drug.setPatientCompliance(null);
        items.add(singleton(drug));
        records++;

        // admissions
        CachedAdmission admission = new CachedAdmission();
        admission.setId(new FacilityIdIntegerCompositePk(null, ++admissionId));
        admission.setCaisiDemographicId(demo);
        admission.setCaisiProgramId(PROGRAM_IDS[rnd.nextInt(PROGRAM_IDS.length)]);
        admission.setAdmissionDate(new Date(now - (30 + rnd.nextInt(2000)) * DAY));
        admission.setAdmissionNotes("Admitted by " + provider);
        items.add(singleton(admission));
        records++;

        // appointments
        for (int n = 0; n < 2; n++) {
            CachedAppointment appt = new CachedAppointment();
            appt.setId(new FacilityIdIntegerCompositePk(null, ++appointmentId));
            appt.setCaisiDemographicId(demo);
            appt.setCaisiProviderId(provider);
            long day = (now / DAY + (n == 0 ? -rnd.nextInt(120) : 1 + rnd.nextInt(60))) * DAY;
            long start = day + (9 * 60 + 15 * rnd.nextInt(32)) * 60_000L;
            appt.setAppointmentDate(new java.sql.Date(day));
            appt.setStartTime(new Date(start));
            appt.setEndTime(new Date(start + 14 * 60_000L + 59_000L));
            appt.setNotes("");
            appt.setReason(pick(APPOINTMENT_REASONS));
            appt.setLocation("Clinic " + opt.emrFacilityId);
            appt.setResources("");
            appt.setType("");
            appt.setStyle("");
            appt.setStatus(n == 0 ? "B" : "t");
            appt.setCreateDatetime(new Timestamp(Math.min(day, now) - 7 * DAY));
            appt.setUpdateDatetime(new Timestamp(changed));
            appt.setRemarks("");
            items.add(singleton(appt));
            records++;
        }

        // measurements
        String[] m = MEASUREMENTS[rnd.nextInt(MEASUREMENTS.length)];
        CachedMeasurement measurement = new CachedMeasurement();
        measurement.setId(new FacilityIdIntegerCompositePk(null, ++measurementId));
        measurement.setType(m[0]);
        measurement.setCaisiDemographicId(demo);
        measurement.setCaisiProviderId(provider);
        measurement.setDataField(measurementValue(m[0]));
        measurement.setMeasuringInstruction(m[1]);
        measurement.setComments("");
        long observed = now - rnd.nextInt(365) * DAY;
        measurement.setDateObserved(new Date(observed));
        measurement.setDateEntered(new Timestamp(observed + 3_600_000L));
        items.add(singleton(measurement));
        records++;

        // allergies: one list for the demographic
        ArrayList<CachedDemographicAllergy> allergies = new ArrayList<>();
        CachedDemographicAllergy allergy = new CachedDemographicAllergy();
        allergy.setId(new FacilityIdIntegerCompositePk(null, ++allergyId));
        allergy.setCaisiDemographicId(demo);
        allergy.setEntryDate(new Date(now - rnd.nextInt(3000) * DAY));
        allergy.setDescription(pick(ALLERGIES));
        allergy.setPickId(rnd.nextInt(50000));
        allergy.setTypeCode(rnd.nextBoolean() ? 8 : 10);
        allergy.setReaction("Hives");
        allergy.setAgeOfOnset("0");
        allergy.setSeverityCode(String.valueOf(1 + rnd.nextInt(3)));
        allergy.setOnSetCode("4");
        allergy.setLifeStage("A");
        allergies.add(allergy);
        items.add(allergies);
        records++;

        // documents: every 5th demographic, a single object (no bytes) + a documentMeta line
        if (opt.documents && index % 5 == 0) {
            int docId = ++documentId;
            String fileName = "doc_" + docId + ".pdf";
            CachedDemographicDocument doc = new CachedDemographicDocument();
            doc.setId(new FacilityIdIntegerCompositePk(null, docId));
            doc.setCaisiDemographicId(demo);
            doc.setDocType("lab");
            doc.setDocFilename(fileName);
            doc.setDocCreator(provider);
            doc.setResponsible(provider);
            doc.setSource("");
            doc.setProgramId(PROGRAM_IDS[0]);
            doc.setUpdateDateTime(new Timestamp(changed));
            doc.setStatus("A");
            doc.setContentType("application/pdf");
            doc.setPublic1(0);
            doc.setObservationDate(new Date(changed - DAY));
            doc.setNumberOfPages(1);
            doc.setAppointmentNo(0);
            doc.setDescription("Lab report " + docId);
            items.add(doc);
            records++;
            meta.println(docId + "," + demo + "," + fileName);
            documentFiles.add(fileName);
            documentIds.add(docId);
        }
    }

    private String measurementValue(String type) {
        switch (type) {
            case "BP":
                return (105 + rnd.nextInt(40)) + "/" + (65 + rnd.nextInt(25));
            case "WT":
                return String.valueOf(50 + rnd.nextInt(60));
            case "HT":
                return String.valueOf(150 + rnd.nextInt(45));
            case "A1C":
                return String.format("0.0%d", 5 + rnd.nextInt(5));
            default:
                return String.valueOf(55 + rnd.nextInt(40));
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static <T> ArrayList<T> singleton(T item) {
        ArrayList<T> list = new ArrayList<>(1);
        list.add(item);
        return list;
    }

    private String pick(String[] values) {
        return values[rnd.nextInt(values.length)];
    }

    private String digits(int n) {
        StringBuilder b = new StringBuilder(n);
        b.append((char) ('1' + rnd.nextInt(9)));
        for (int i = 1; i < n; i++) {
            b.append((char) ('0' + rnd.nextInt(10)));
        }
        return b.toString();
    }

    private String phone() {
        return (rnd.nextBoolean() ? "416" : "905") + "-555-" + String.format("%04d", rnd.nextInt(10000));
    }

    private void write(ObjectOutputStream out, Object o) throws IOException {
        out.writeUnshared(o);
        objects++;
    }

    private ObjectOutputStream openSer(int fileNo) throws IOException {
        Path file = workDir.resolve(base + "." + fileNo + ".ser");
        serFiles.add(file);
        OutputStream os = new BufferedOutputStream(new FileOutputStream(file.toFile()), 64 * 1024);
        return new ObjectOutputStream(os);
    }

    private static void truncate(Path file, long bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long length = raf.length();
            if (bytes > length) {
                throw new IllegalArgumentException("--truncate-last-ser " + bytes + " exceeds the size of "
                        + file.getFileName() + " (" + length + " bytes)");
            }
            raf.setLength(length - bytes);
        }
    }

    /** Either files (main zip) or document names (docs zip, synthetic PDF bytes). */
    private void zip(Path target, List<Path> files, List<String> docNames) throws IOException {
        LocalDateTime stamp = LocalDateTime.ofInstant(Instant.ofEpochMilli(opt.date), ZoneOffset.UTC);
        try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(target)))) {
            zip.setMethod(ZipOutputStream.DEFLATED);
            if (files != null) {
                for (Path file : files) {
                    ZipEntry entry = new ZipEntry(file.getFileName().toString());
                    entry.setTimeLocal(stamp);
                    zip.putNextEntry(entry);
                    Files.copy(file, zip);
                    zip.closeEntry();
                    Files.delete(file);
                }
            } else {
                for (int i = 0; i < docNames.size(); i++) {
                    ZipEntry entry = new ZipEntry(docNames.get(i));
                    entry.setTimeLocal(stamp);
                    zip.putNextEntry(entry);
                    zip.write(fakePdf(documentIds.get(i)));
                    zip.closeEntry();
                }
            }
        }
    }

    static byte[] fakePdf(int docId) {
        String text = "%PDF-1.4\n"
                + "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                + "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
                + "% carebridge synthetic document " + docId + "\n"
                + "trailer << /Root 1 0 R >>\n"
                + "%%EOF\n";
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static String md5Hex(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        StringBuilder hex = new StringBuilder(32);
        for (byte b : md.digest()) {
            hex.append(Integer.toString((b & 0xff) + 0x100, 16).substring(1));
        }
        return hex.toString();
    }

    private void deleteWorkDir() throws IOException {
        if (!Files.exists(workDir)) {
            return;
        }
        try (var paths = Files.walk(workDir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
    }

    // ---- command line ----------------------------------------------------------------------

    static final class Options {
        static final String USAGE = "usage: MakePush --out DIR --username NAME --date EPOCH_MILLIS"
                + " [--emr-facility-id N] [--patients N] [--seed N] [--last-date EPOCH_MILLIS]"
                + " [--depends-on MD5|-] [--no-footer] [--no-documents] [--truncate-last-ser BYTES] [--provider-messages N]";

        Path out;
        String username;
        int emrFacilityId = 1;
        int patients = 10;
        long seed = 1;
        Long dateOpt;
        long date;
        long lastDate = 0L;
        String dependsOn;
        boolean footer = true;
        boolean documents = true;
        long truncateLastSer;
        int providerMessages;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--no-footer":
                        o.footer = false;
                        continue;
                    case "--no-documents":
                        o.documents = false;
                        continue;
                    default:
                        break;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + a);
                }
                String v = args[++i];
                try {
                    switch (a) {
                        case "--out":
                            o.out = Paths.get(v);
                            break;
                        case "--username":
                            o.username = v;
                            break;
                        case "--emr-facility-id":
                            o.emrFacilityId = Integer.parseInt(v);
                            break;
                        case "--patients":
                            o.patients = Integer.parseInt(v);
                            break;
                        case "--seed":
                            o.seed = Long.parseLong(v);
                            break;
                        case "--date":
                            o.dateOpt = Long.parseLong(v);
                            break;
                        case "--last-date":
                            o.lastDate = Long.parseLong(v);
                            break;
                        case "--depends-on":
                            o.dependsOn = "-".equals(v) ? null : v;
                            break;
                        case "--provider-messages":
                            o.providerMessages = Integer.parseInt(v);
                            break;
                        case "--truncate-last-ser":
                            o.truncateLastSer = Long.parseLong(v);
                            break;
                        default:
                            throw new IllegalArgumentException("unknown option " + a);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad number for " + a + ": " + v);
                }
            }
            if (o.out == null || o.username == null || o.dateOpt == null) {
                throw new IllegalArgumentException("--out, --username and --date are required");
            }
            if (o.patients < 0 || o.truncateLastSer < 0) {
                throw new IllegalArgumentException("--patients and --truncate-last-ser must be >= 0");
            }
            o.date = o.dateOpt;
            return o;
        }
    }
}
