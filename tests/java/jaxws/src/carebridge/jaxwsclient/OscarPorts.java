package carebridge.jaxwsclient;

import java.util.List;
import java.util.Map;

import javax.xml.ws.BindingProvider;
import javax.xml.ws.handler.Handler;

/** A port set up as OSCAR's CxfClientUtils sets one up: timeouts, then its WS-Security header. */
final class OscarPorts {
    static final int TIMEOUT_MILLIS = 20_000;

    private OscarPorts() {
    }

    static <T> T configure(T port, String user, String password, String provider,
                           boolean trace) {
        BindingProvider binding = (BindingProvider) port;
        Map<String, Object> context = binding.getRequestContext();
        context.put("com.sun.xml.ws.connect.timeout", TIMEOUT_MILLIS);
        context.put("com.sun.xml.ws.request.timeout", TIMEOUT_MILLIS);
        @SuppressWarnings("rawtypes")
        List<Handler> chain = binding.getBinding().getHandlerChain();
        chain.add(new WsSecurityHandler(user, password, provider));
        if (trace) {
            chain.add(new TraceHandler()); // after the security handler: sees the final request
        }
        binding.getBinding().setHandlerChain(chain);
        return port;
    }
}
