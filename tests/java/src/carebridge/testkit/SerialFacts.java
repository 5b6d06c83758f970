package carebridge.testkit;

import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What this JVM's classes put into a stream class descriptor, one JSON line per class named
 * on the command line: {"class", "suid", "declared" (a serialVersionUID field, or computed),
 * "writeObject" (SC_WRITE_METHOD), "superclass" (serializable one, or null), "fields" (the
 * stream order: [name, type code or type string] pairs), and an enum's "constants"};
 * {"class", "error"} when a class cannot be loaded or is not serializable. The facts
 * javawrite's class catalogue must match (tests/integration/test_javawrite.py).
 */
public final class SerialFacts {
    private SerialFacts() {
    }

    public static void main(String[] args) {
        StringBuilder out = new StringBuilder();
        for (String name : args) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("class", name);
            try {
                Class<?> cls = Class.forName(name, false, SerialFacts.class.getClassLoader());
                ObjectStreamClass desc = ObjectStreamClass.lookup(cls);
                if (desc == null) {
                    throw new IllegalArgumentException("not serializable");
                }
                line.put("suid", desc.getSerialVersionUID());
                line.put("declared", declaresSuid(cls));
                line.put("writeObject", hasWriteObject(cls));
                Class<?> parent = cls.getSuperclass();
                boolean serializableParent = parent != null && Serializable.class.isAssignableFrom(parent)
                        && !parent.isEnum() && parent != Enum.class;
                line.put("superclass", serializableParent ? parent.getName() : null);
                List<Object> fields = new ArrayList<>();
                for (ObjectStreamField field : desc.getFields()) {
                    List<Object> pair = new ArrayList<>();
                    pair.add(field.getName());
                    pair.add(field.isPrimitive() ? String.valueOf(field.getTypeCode()) : field.getTypeString());
                    fields.add(pair);
                }
                line.put("fields", fields);
                if (cls.isEnum()) {
                    List<Object> constants = new ArrayList<>();
                    for (Object constant : cls.getEnumConstants()) {
                        constants.add(((Enum<?>) constant).name());
                    }
                    line.put("constants", constants);
                }
            } catch (Throwable e) {
                line.put("error", String.valueOf(e));
            }
            out.append(Json.value(line)).append('\n');
        }
        System.out.print(out);
    }

    private static boolean declaresSuid(Class<?> cls) {
        try {
            Field f = cls.getDeclaredField("serialVersionUID");
            return Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers());
        } catch (NoSuchFieldException e) {
            return false;
        }
    }

    private static boolean hasWriteObject(Class<?> cls) {
        try {
            Method m = cls.getDeclaredMethod("writeObject", ObjectOutputStream.class);
            return Modifier.isPrivate(m.getModifiers()) && !Modifier.isStatic(m.getModifiers());
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
