using System.Text;

namespace KrSbert.Embedding.Tokenization;

/// <summary>
/// Hugging Face's <c>BertPreTokenizer</c> over normalised text, without allocating: whitespace separates
/// words and is dropped; every punctuation character is a word of its own.
/// </summary>
internal ref struct BertWordSplitter
{
    private readonly ReadOnlySpan<char> _text;
    private int _position;

    public BertWordSplitter(ReadOnlySpan<char> text)
    {
        _text = text;
        _position = 0;
        Start = 0;
        Length = 0;
    }

    /// <summary>Start of the current word in the text.</summary>
    public int Start { get; private set; }

    /// <summary>Length of the current word in UTF-16 units.</summary>
    public int Length { get; private set; }

    public bool MoveNext()
    {
        int wordStart = -1;
        while (_position < _text.Length)
        {
            Rune.DecodeFromUtf16(_text[_position..], out Rune rune, out int consumed);
            if (BertCharacterClasses.IsWhitespace(rune))
            {
                if (wordStart >= 0)
                {
                    return Emit(wordStart, _position);
                }

                _position += consumed;
                continue;
            }

            if (BertCharacterClasses.IsPunctuation(rune))
            {
                if (wordStart >= 0)
                {
                    return Emit(wordStart, _position);
                }

                _position += consumed;
                return Emit(_position - consumed, _position);
            }

            if (wordStart < 0)
            {
                wordStart = _position;
            }

            _position += consumed;
        }

        return wordStart >= 0 && Emit(wordStart, _position);
    }

    private bool Emit(int start, int end)
    {
        Start = start;
        Length = end - start;
        return true;
    }
}
