package main

// Just enough HTTP/2 (RFC 9113) for one GET on a fresh connection and for noticing a GOAWAY
// afterwards: the standard library's client would hide the connection and its end.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

const (
	h2FrameData     = 0x0
	h2FrameHeaders  = 0x1
	h2FrameSettings = 0x4
	h2FramePing     = 0x6
	h2FrameGoAway   = 0x7
	h2FlagEndStream = 0x1
	h2FlagAck       = 0x1
	h2FlagEndHeader = 0x4
)

func h2Frame(frameType, flags byte, stream uint32, payload []byte) []byte {
	frame := make([]byte, 9, 9+len(payload))
	frame[0], frame[1], frame[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	frame[3], frame[4] = frameType, flags
	binary.BigEndian.PutUint32(frame[5:], stream&0x7fffffff)
	return append(frame, payload...)
}

// hpackLiteral is a header field "literal without indexing" whose name is static-table entry
// `nameIndex` (below 15, so one byte), with a raw (not Huffman) value.
func hpackLiteral(nameIndex byte, value string) []byte {
	return append([]byte{nameIndex, byte(len(value))}, value...)
}

func h2ReadFrame(reader *bufio.Reader) (frameType, flags byte, stream uint32, payload []byte, err error) {
	var header [9]byte
	if _, err = io.ReadFull(reader, header[:]); err != nil {
		return
	}
	length := int(header[0])<<16 | int(header[1])<<8 | int(header[2])
	payload = make([]byte, length)
	if _, err = io.ReadFull(reader, payload); err != nil {
		return
	}
	return header[3], header[4], binary.BigEndian.Uint32(header[5:]) & 0x7fffffff, payload, nil
}

// h2SkipFrame reads one frame and returns its type (the idle watcher needs no more).
func h2SkipFrame(reader *bufio.Reader) (byte, error) {
	frameType, _, _, _, err := h2ReadFrame(reader)
	return frameType, err
}

// h2Request sends the connection preface, empty SETTINGS and GET `path` on stream 1, and reads
// until that stream ends, acknowledging the server's SETTINGS (and PINGs) on the way.
func h2Request(conn net.Conn, reader *bufio.Reader, path string) error {
	block := []byte{0x82, 0x87} // :method GET, :scheme https (static table 2 and 7)
	block = append(block, hpackLiteral(4, path)...)
	block = append(block, hpackLiteral(1, "127.0.0.1")...) // :authority
	out := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	out = append(out, h2Frame(h2FrameSettings, 0, 0, nil)...)
	out = append(out, h2Frame(h2FrameHeaders, h2FlagEndStream|h2FlagEndHeader, 1, block)...)
	if _, err := conn.Write(out); err != nil {
		return err
	}
	for frames := 0; frames < 64; frames++ {
		frameType, flags, stream, payload, err := h2ReadFrame(reader)
		if err != nil {
			return err
		}
		switch {
		case frameType == h2FrameSettings && flags&h2FlagAck == 0:
			if _, err := conn.Write(h2Frame(h2FrameSettings, h2FlagAck, 0, nil)); err != nil {
				return err
			}
		case frameType == h2FramePing && flags&h2FlagAck == 0:
			if _, err := conn.Write(h2Frame(h2FramePing, h2FlagAck, 0, payload)); err != nil {
				return err
			}
		case frameType == h2FrameGoAway:
			return errors.New("GOAWAY during the request")
		case stream == 1 && (frameType == h2FrameData || frameType == h2FrameHeaders) && flags&h2FlagEndStream != 0:
			return nil
		}
	}
	return fmt.Errorf("no end of stream 1 within 64 frames")
}
