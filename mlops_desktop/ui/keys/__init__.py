"""The keys room: the officer's signing keys (create, import PKCS#12, export the public key,
fingerprints), running :mod:`mlops_desktop.services.keys`."""
