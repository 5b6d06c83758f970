"""A bare Spyne echo service for bench/submit_bench.py: same SOAP stack, no work behind it."""

from spyne import Application, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication


class Echo(ServiceBase):
    @rpc(Unicode, _returns=Unicode)
    def echo(ctx, er7):  # type: ignore[no-untyped-def]
        return er7


application = WsgiApplication(Application([Echo], tns="urn:carebridge:bench:echo",
                                          in_protocol=Soap11(), out_protocol=Soap11()))
