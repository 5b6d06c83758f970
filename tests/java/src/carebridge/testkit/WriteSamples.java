package carebridge.testkit;

import java.io.FileOutputStream;
import java.io.ObjectOutputStream;
import java.math.BigDecimal;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Date;
import java.util.GregorianCalendar;
import java.util.HashMap;
import java.util.TimeZone;

import org.oscarehr.caisi_integrator.dao.CachedDemographic;

/** Writes one of each value kind the decoder special-cases, in a known order. */
public final class WriteSamples {
    private WriteSamples() {}

    public static void main(String[] args) throws Exception {
        try (ObjectOutputStream out = new ObjectOutputStream(new FileOutputStream(args[0]))) {
            out.writeObject(new Date(1700000000123L));
            Timestamp stamp = new Timestamp(1700000000123L);
            stamp.setNanos(123456789);
            out.writeObject(stamp);
            out.writeObject(java.sql.Date.valueOf("2024-02-29"));
            out.writeObject(new Time(3600000L));
            GregorianCalendar calendar = new GregorianCalendar(TimeZone.getTimeZone("UTC"));
            calendar.setTimeInMillis(1700000000000L);
            out.writeObject((Calendar) calendar);
            out.writeObject(new BigDecimal("-12.345"));
            out.writeObject(CachedDemographic.Gender.F);
            ArrayList<Object> list = new ArrayList<>();
            list.add("Zoë \u2603");
            list.add(Integer.valueOf(7));
            list.add(Long.valueOf(-9000000000L));
            list.add(Boolean.TRUE);
            list.add(null);
            list.add(new byte[] {1, 2, (byte) 255});
            out.writeObject(list);
            HashMap<String, Integer> map = new HashMap<>();
            map.put("a", 1);
            out.writeObject(map);
        }
    }
}
