import VitalsCore
// Replaced by the real entry point with issue 2.
print("vitals")
