package carebridge.jaxwsclient;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Set;

import javax.xml.namespace.QName;
import javax.xml.ws.handler.MessageContext;
import javax.xml.ws.handler.soap.SOAPHandler;
import javax.xml.ws.handler.soap.SOAPMessageContext;

/** Writes every request and reply envelope (as JAX-WS sees it) to stderr ({@code --trace}). */
public final class TraceHandler implements SOAPHandler<SOAPMessageContext> {
    @Override
    public boolean handleMessage(SOAPMessageContext context) {
        dump(context, false);
        return true;
    }

    @Override
    public boolean handleFault(SOAPMessageContext context) {
        dump(context, true);
        return true;
    }

    private static void dump(SOAPMessageContext context, boolean fault) {
        Boolean outbound = (Boolean) context.get(MessageContext.MESSAGE_OUTBOUND_PROPERTY);
        String label = Boolean.TRUE.equals(outbound) ? "request" : (fault ? "fault" : "reply");
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            context.getMessage().writeTo(out);
            System.err.println("--- " + label + " ---");
            System.err.println(new String(out.toByteArray(), StandardCharsets.UTF_8));
        } catch (Exception e) {
            System.err.println("--- " + label + " (unprintable: " + e + ") ---");
        }
    }

    @Override
    public void close(MessageContext context) {
    }

    @Override
    public Set<QName> getHeaders() {
        return Collections.emptySet();
    }
}
