package carebridge.testkit;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.oscarehr.PMmodule.caisi_integrator.IntegratorFileHeader;

/**
 * Reads a main push zip back with ObjectInputStream, as the integrator's ImportFile does
 * (every numbered .ser in number order, readObject until the stream is exhausted), and
 * prints one line of JSON: objects per file, top-level classes, list element classes,
 * header fields, the last class read, and the first error (exit status 1 on error).
 */
public final class ReadPush {
    private ReadPush() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ReadPush PUSH.zip");
            System.exit(2);
        }
        Map<String, Object> files = new LinkedHashMap<>();
        Map<String, Integer> classes = new TreeMap<>();
        Map<String, Integer> elements = new TreeMap<>();
        Map<String, Object> header = null;
        String last = null;
        String error = null;
        long objects = 0;
        long records = 0;

        try (ZipFile zip = new ZipFile(args[0])) {
            List<ZipEntry> sers = new ArrayList<>();
            zip.stream().filter(e -> e.getName().endsWith(".ser")).forEach(sers::add);
            sers.sort(Comparator.comparingInt(ReadPush::serNumber));
            outer:
            for (ZipEntry entry : sers) {
                byte[] data;
                try (InputStream in = zip.getInputStream(entry)) {
                    data = in.readAllBytes();
                }
                int count = 0;
                ByteArrayInputStream bytes = new ByteArrayInputStream(data);
                try (ObjectInputStream in = new ObjectInputStream(bytes)) {
                    // ObjectInputStream does not read ahead between top-level objects, so an
                    // exhausted byte source means a clean end; an EOF inside readObject is a truncation.
                    while (bytes.available() > 0) {
                        Object o = in.readObject();
                        count++;
                        objects++;
                        last = o.getClass().getName();
                        classes.merge(last, 1, Integer::sum);
                        if (o instanceof List) {
                            for (Object item : (List<?>) o) {
                                elements.merge(item == null ? "null" : item.getClass().getName(), 1, Integer::sum);
                                records++;
                            }
                        } else if (!last.startsWith("org.oscarehr.PMmodule.")) {
                            records++;
                        }
                        if (o instanceof IntegratorFileHeader) {
                            IntegratorFileHeader h = (IntegratorFileHeader) o;
                            header = new LinkedHashMap<>();
                            header.put("version", h.getVersion());
                            header.put("username", h.getUsername());
                            header.put("date", h.getDate() == null ? null : h.getDate().getTime());
                            header.put("lastDate", h.getLastDate() == null ? null : h.getLastDate().getTime());
                            header.put("dependsOn", h.getDependsOn());
                            header.put("cachedFacilityId", h.getCachedFacilityId());
                            header.put("cachedFacilityName", h.getCachedFacilityName());
                        }
                    }
                } catch (Exception e) {
                    error = entry.getName() + " object " + count + ": " + e;
                    files.put(entry.getName(), count);
                    break outer;
                }
                files.put(entry.getName(), count);
            }
        } catch (Exception e) {
            error = String.valueOf(e);
        }

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("zip", args[0]);
        result.put("files", files);
        result.put("objects", objects);
        result.put("records", records);
        result.put("classes", classes);
        result.put("elements", elements);
        result.put("header", header);
        result.put("last", last);
        result.put("error", error);
        System.out.println(Json.value(result));
        if (error != null) {
            System.exit(1);
        }
    }

    private static int serNumber(ZipEntry e) {
        String name = e.getName();
        String[] parts = name.substring(0, name.length() - ".ser".length()).split("\\.");
        try {
            return Integer.parseInt(parts[parts.length - 1]);
        } catch (NumberFormatException ex) {
            return Integer.MAX_VALUE;
        }
    }
}
