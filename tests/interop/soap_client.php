<?php
// FacilityService called by PHP's own SoapClient (ext-soap), as a PHP EMR would: the WSDL from
// the live ?wsdl, a UsernameToken in a mustUnderstand wsse:Security header. PHP has no
// WS-Security of its own; the header is built from nested SoapVars, the idiom PHP code uses
// (it cannot write the Password's Type attribute, so the password is PasswordText by default).
//
//   php soap_client.php ENDPOINT USERNAME PASSWORD my-facility|by-file FILENAME CHECKSUM
//
// Prints one line of JSON. Exit status: 0 ok, 3 SOAP fault ({"fault", "faultcode",
// "faultcodens"}), 4 anything else ({"error"}).

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

function security_header(string $user, string $password): SoapHeader
{
    $credentials = new stdClass();
    $credentials->Username = new SoapVar($user, XSD_STRING, null, WSSE, null, WSSE);
    $credentials->Password = new SoapVar($password, XSD_STRING, null, WSSE, null, WSSE);
    $token = new stdClass();
    $token->UsernameToken = new SoapVar($credentials, SOAP_ENC_OBJECT, null, WSSE,
                                        'UsernameToken', WSSE);
    $security = new SoapVar($token, SOAP_ENC_OBJECT, null, WSSE, 'Security', WSSE);
    return new SoapHeader(WSSE, 'Security', $security, true);  // true: mustUnderstand
}

[, $endpoint, $user, $password, $command] = array_pad($argv, 5, null);
$args = array_slice($argv, 5);
try {
    $client = new SoapClient($endpoint . '?wsdl', [
        'cache_wsdl' => WSDL_CACHE_NONE,
        'exceptions' => true,
        'connection_timeout' => 10,
        'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
    ]);
    $client->__setSoapHeaders([security_header($user, $password)]);
    switch ($command) {
        case 'my-facility':
            $reply = $client->getMyFacility([]);
            echo json_encode(['facility' => $reply->return ?? null]), "\n";
            break;
        case 'by-file':
            $reply = $client->getImportLogByFilenameAndChecksum(['arg0' => $args[0],
                                                                 'arg1' => $args[1]]);
            echo json_encode(['logs' => $reply->return ?? []]), "\n";
            break;
        default:
            fwrite(STDERR, "unknown command $command\n");
            exit(2);
    }
} catch (SoapFault $fault) {
    echo json_encode(['fault' => $fault->faultstring, 'faultcode' => $fault->faultcode,
                      'faultcodens' => $fault->faultcodens ?? null]), "\n";
    exit(3);
} catch (Throwable $error) {
    echo json_encode(['error' => (string) $error]), "\n";
    exit(4);
}
