/// Centaur's release version.
public enum CentaurVersion {
    public static let current = "0.1.0"
}
