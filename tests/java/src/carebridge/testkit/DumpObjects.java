package carebridge.testkit;

import java.io.ByteArrayInputStream;
import java.io.ObjectInputStream;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads ONE .ser file with ObjectInputStream (readObject until the bytes run out) and prints
 * every top-level object as one line of JSON, found by reflection:
 * <ul>
 * <li>String, Integer, Boolean: as JSON; Long/Short/Byte/Float/Double/Character: {"$long": n} etc.
 * (floats widened to double exactly);</li>
 * <li>Date (and subclasses): {"$date": epochMillis}; enum: {"$enum": class, "name": constant};</li>
 * <li>byte[]: {"$bytes": base64}; other arrays: {"$array": component, "items": [...]};</li>
 * <li>List/Set: {"$list"|"$set": class, "items": [...]} (set items in iteration order);</li>
 * <li>other objects: {"$class": name, "fields": {...}}, instance fields of the whole class
 * chain, superclass first, static and transient fields skipped.</li>
 * </ul>
 * A read error prints {"error": ..., "index": n} as the last line and exits with status 1.
 */
public final class DumpObjects {
    private static final int MAX_DEPTH = 64;

    private DumpObjects() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: DumpObjects FILE.ser");
            System.exit(2);
        }
        byte[] data = Files.readAllBytes(Paths.get(args[0]));
        ByteArrayInputStream bytes = new ByteArrayInputStream(data);
        StringBuilder out = new StringBuilder();
        int index = 0;
        int status = 0;
        try (ObjectInputStream in = new ObjectInputStream(bytes)) {
            while (bytes.available() > 0) {
                Object o = in.readObject();
                out.append(Json.value(dump(o, 0))).append('\n');
                index++;
            }
        } catch (Exception e) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("error", String.valueOf(e));
            error.put("index", index);
            out.append(Json.value(error)).append('\n');
            status = 1;
        }
        System.out.print(out);
        System.out.flush();
        System.exit(status);
    }

    private static Object dump(Object v, int depth) throws IllegalAccessException {
        if (depth > MAX_DEPTH) {
            throw new IllegalStateException("object graph deeper than " + MAX_DEPTH);
        }
        if (v == null || v instanceof String || v instanceof Integer || v instanceof Boolean) {
            return v;
        }
        if (v instanceof Long) {
            return tagged("$long", v);
        }
        if (v instanceof Short) {
            return tagged("$short", v);
        }
        if (v instanceof Byte) {
            return tagged("$byte", v);
        }
        if (v instanceof Float) {
            return tagged("$float", Double.valueOf(((Float) v).doubleValue()));
        }
        if (v instanceof Double) {
            return tagged("$double", v);
        }
        if (v instanceof Character) {
            return tagged("$char", String.valueOf(v));
        }
        if (v instanceof Date) {
            return tagged("$date", ((Date) v).getTime());
        }
        if (v instanceof Enum) {
            Map<String, Object> m = tagged("$enum", ((Enum<?>) v).getDeclaringClass().getName());
            m.put("name", ((Enum<?>) v).name());
            return m;
        }
        if (v instanceof byte[]) {
            return tagged("$bytes", Base64.getEncoder().encodeToString((byte[]) v));
        }
        if (v.getClass().isArray()) {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) {
                items.add(dump(Array.get(v, i), depth + 1));
            }
            Map<String, Object> m = tagged("$array", v.getClass().getComponentType().getName());
            m.put("items", items);
            return m;
        }
        if (v instanceof Collection) {
            List<Object> items = new ArrayList<>();
            for (Object item : (Collection<?>) v) {
                items.add(dump(item, depth + 1));
            }
            Map<String, Object> m = tagged(v instanceof Set ? "$set" : "$list", v.getClass().getName());
            m.put("items", items);
            return m;
        }
        Deque<Class<?>> chain = new ArrayDeque<>();
        for (Class<?> c = v.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            chain.push(c);
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Class<?> c : chain) {
            for (Field f : c.getDeclaredFields()) {
                int mod = f.getModifiers();
                if (Modifier.isStatic(mod) || Modifier.isTransient(mod)) {
                    continue;
                }
                f.setAccessible(true);
                fields.put(f.getName(), dump(f.get(v), depth + 1));
            }
        }
        Map<String, Object> m = tagged("$class", v.getClass().getName());
        m.put("fields", fields);
        return m;
    }

    private static Map<String, Object> tagged(String tag, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(tag, value);
        return m;
    }
}
