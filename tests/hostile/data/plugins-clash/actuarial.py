import salesrules


@salesrules.hookimpl
def register_functions(register):
    register('loss_ratio', lambda call: call.args[0] / call.args[1], args=['numeric', 'numeric'], returns='number')


@salesrules.hookimpl
def register_output_formats(register):
    register('lines', lambda frame, stream, context: stream.write(f'actuarial: {frame.height}\n'), extension='.lines', binary=False)
