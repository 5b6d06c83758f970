// FacilityService called by node-soap (npm "soap"), as a Node.js integration would: the WSDL
// from the live ?wsdl and node-soap's own WSSecurity (PasswordText, mustUnderstand).
//
//   node soap_client.js ENDPOINT USERNAME PASSWORD my-facility|by-file FILENAME CHECKSUM
//
// node-soap is found through NODE_PATH (tests/system-deps.sh installs it under build/).
// Prints one line of JSON. Exit status: 0 ok, 3 SOAP fault ({"fault", "faultcode"}),
// 4 anything else ({"error"}).
'use strict';

const soap = require('soap');

async function main() {
  const [endpoint, user, password, command, ...args] = process.argv.slice(2);
  const client = await soap.createClientAsync(`${endpoint}?wsdl`, {
    wsdl_options: { timeout: 10000 },
  });
  client.setSecurity(new soap.WSSecurity(user, password, {
    passwordType: 'PasswordText', hasTimeStamp: false, mustUnderstand: true,
  }));
  try {
    if (command === 'my-facility') {
      const [reply] = await client.getMyFacilityAsync({}, { timeout: 10000 });
      console.log(JSON.stringify({ facility: reply ? reply.return : null }));
    } else if (command === 'by-file') {
      const [reply] = await client.getImportLogByFilenameAndChecksumAsync(
        { arg0: args[0], arg1: args[1] }, { timeout: 10000 });
      const logs = reply && reply.return ? [].concat(reply.return) : [];
      console.log(JSON.stringify({ logs }));
    } else {
      console.error(`unknown command ${command}`);
      process.exit(2);
    }
  } catch (err) {
    const fault = err.root && err.root.Envelope && err.root.Envelope.Body
      && err.root.Envelope.Body.Fault;
    if (fault) {
      console.log(JSON.stringify({ fault: fault.faultstring, faultcode: fault.faultcode }));
      process.exit(3);
    }
    throw err;
  }
}

main().catch((err) => {
  console.log(JSON.stringify({ error: String(err && err.stack ? err.stack : err) }));
  process.exit(4);
});
