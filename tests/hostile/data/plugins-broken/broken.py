raise RuntimeError('the plugin cannot start')
