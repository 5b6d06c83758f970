package carebridge.jaxwsclient;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

import javax.xml.namespace.QName;
import javax.xml.soap.SOAPElement;
import javax.xml.soap.SOAPEnvelope;
import javax.xml.soap.SOAPException;
import javax.xml.soap.SOAPHeader;
import javax.xml.soap.SOAPHeaderElement;
import javax.xml.soap.SOAPMessage;
import javax.xml.ws.ProtocolException;
import javax.xml.ws.handler.MessageContext;
import javax.xml.ws.handler.soap.SOAPHandler;
import javax.xml.ws.handler.soap.SOAPMessageContext;

/**
 * Outbound SOAP handler that does what OSCAR's CXF client (WSS4JOutInterceptor with
 * UsernameToken/PasswordText, plus AuthenticationOutWSS4JInterceptorForIntegrator) puts in
 * the header of every FacilityWs request:
 *
 * <pre>
 * &lt;wsse:Security S:mustUnderstand="1"&gt;&lt;wsse:UsernameToken&gt;
 *   &lt;wsse:Username&gt;facility&lt;/wsse:Username&gt;
 *   &lt;wsse:Password Type="...#PasswordText"&gt;secret&lt;/wsse:Password&gt;
 * &lt;/wsse:UsernameToken&gt;&lt;/wsse:Security&gt;
 * &lt;caisi:requestingCaisiProviderNo xmlns:caisi="http://oscarehr.org/caisi"&gt;NNN&lt;/...&gt;
 * </pre>
 */
public final class WsSecurityHandler implements SOAPHandler<SOAPMessageContext> {
    static final String WSSE_NS =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    static final String PASSWORD_TEXT =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
        + "#PasswordText";
    static final String CAISI_NS = "http://oscarehr.org/caisi";
    static final QName SECURITY = new QName(WSSE_NS, "Security", "wsse");
    static final QName PROVIDER = new QName(CAISI_NS, "requestingCaisiProviderNo", "caisi");

    private final String username;
    private final String password;
    private final String providerNo;

    public WsSecurityHandler(String username, String password, String providerNo) {
        this.username = username;
        this.password = password;
        this.providerNo = providerNo;
    }

    @Override
    public boolean handleMessage(SOAPMessageContext context) {
        Boolean outbound = (Boolean) context.get(MessageContext.MESSAGE_OUTBOUND_PROPERTY);
        if (outbound == null || !outbound) {
            return true;
        }
        try {
            SOAPMessage message = context.getMessage();
            SOAPEnvelope envelope = message.getSOAPPart().getEnvelope();
            SOAPHeader header = envelope.getHeader();
            if (header == null) {
                header = envelope.addHeader();
            }
            SOAPHeaderElement security = header.addHeaderElement(SECURITY);
            security.setMustUnderstand(true);
            SOAPElement token = security.addChildElement("UsernameToken", "wsse");
            token.addChildElement("Username", "wsse").addTextNode(username);
            SOAPElement pass = token.addChildElement("Password", "wsse");
            pass.setAttribute("Type", PASSWORD_TEXT);
            pass.addTextNode(password);
            if (providerNo != null) {
                header.addHeaderElement(PROVIDER).addTextNode(providerNo);
            }
            message.saveChanges();
        } catch (SOAPException e) {
            throw new ProtocolException(e);
        }
        return true;
    }

    @Override
    public boolean handleFault(SOAPMessageContext context) {
        return true;
    }

    @Override
    public void close(MessageContext context) {
    }

    /** Headers this client "understands" (so a mustUnderstand one in a reply is no error). */
    @Override
    public Set<QName> getHeaders() {
        Set<QName> headers = new HashSet<>();
        headers.add(SECURITY);
        return Collections.unmodifiableSet(headers);
    }
}
