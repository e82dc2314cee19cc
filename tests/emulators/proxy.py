"""An https proxy (CONNECT tunnels only), to check that HTTPS_PROXY is honoured: every tunnel
counts as a request."""


def add_arguments(parser):
    pass


class Service:
    tunnel = True

    def __init__(self, args):
        pass

    def handle(self, req):
        return 405, {"errors": ["only CONNECT"]}, None
