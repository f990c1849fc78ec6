extension Character {
    /// 0–9 and nothing else: `isNumber` alone also takes other scripts' digits, fractions and numerals.
    public var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
