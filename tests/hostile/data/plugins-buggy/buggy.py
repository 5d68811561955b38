import salesrules


@salesrules.hookimpl
def register_functions(register):
    register('risk', lambda call: 1 / 0, args=['numeric'], returns='number')
